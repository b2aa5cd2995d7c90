"""The annotator's work grows linearly with expression and file size (counted, not timed:
the counts are what would turn quadratic again if a memo or an index were lost)."""

from __future__ import annotations

import libcst as cst
import pytest

from readkit.annotate import api
from readkit.annotate.engine import analyze_source
from readkit.annotate.evaluate import Evaluator
from readkit.annotate.rules import _bindings


def _chain(terms: int) -> str:
    return "import torch\nx = torch.zeros(3)\ny = x" + " + 1" * terms + "\n"


def _counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    calls = [0]
    original = getattr(owner, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("terms", [100, 300])  # the engine alone: the default recursion limit
def test_an_operator_chain_is_evaluated_once_per_node(monkeypatch: pytest.MonkeyPatch, terms: int) -> None:
    evaluations = _counting(monkeypatch, Evaluator, "_value")
    result = analyze_source(_chain(terms), "chain.py").result
    # one evaluation per operand and per operation (2 per term) plus a handful for the
    # statements around it; before the memo it was terms**2 / 2 (1,003,022 for 1,000 terms)
    assert evaluations[0] <= 2 * terms + 20
    assert [(a.line, a.symbol) for a in result.annotations] == [(2, "torch.zeros"), (3, "torch.Tensor.__add__")]


def test_a_long_chain_is_not_limited_by_recursion() -> None:
    result = api.annotate_source(_chain(3000), "chain.py")
    assert result.error is None
    assert [a.symbol for a in result.annotations] == ["torch.zeros", "torch.Tensor.__add__"]
    assert result.annotations[1].end_column == len("y = x" + " + 1" * 3000) + 1


def _many_subscripts(functions: int) -> str:
    body = "".join(f"def f{i}(batch):\n    total = 0\n    total += batch.data\n    return total[0], batch[0]\n\n"
                   for i in range(functions))
    return "import torch\n\n" + body + "".join(f"first{i} = rows[0]\n" for i in range(functions))


def test_name_uses_indexes_each_scope_once(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = _counting(monkeypatch, _bindings._Indexer, "run")
    queries = _counting(monkeypatch, _bindings, "_scope")
    analyze_source(_many_subscripts(30), "many.py")
    # every `x[0]` asks about its name: 90 questions; one pass per function body, one per
    # function that binds the name, one over the module, instead of one visit per question
    assert queries[0] >= 90
    assert passes[0] <= 2 * 30 + 1


def test_name_uses_answers_as_a_visit_of_the_scope_would() -> None:
    module = cst.parse_module("def f(x, n):\n    s = 0\n    s += x.data\n    s[0] = 1\n    y = s[0] + s.size()\n"
                              "    for s in x:\n        pass\n    global g\n    return lambda s: s\n")
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    parents: dict[cst.CSTNode, cst.CSTNode] = {}

    class Parents(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            for child in node.children:
                parents[child] = node
            return True

    module.visit(Parents())

    class Context:
        def __init__(self) -> None:
            self.store: dict[object, object] = {}

        def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
            return parents.get(node)

        def per_file(self, key: object, make: object) -> object:
            if key not in self.store:
                self.store[key] = make()  # type: ignore[operator]
            return self.store[key]

    anchor = next(n for n in parents if isinstance(n, cst.Name) and n.value == "s")
    uses = _bindings.name_uses(Context(), anchor, "s")  # type: ignore[arg-type]
    assert uses.scope is function
    assert [cst.Module([]).code_for_node(v) for v in uses.assigned] == ["0"]
    assert len(uses.augmented) == 1 and len(uses.indexed) == 2  # `s[0] = 1` and `s[0] + ...`
    # `s[0] = 1` writes, `for s in x` rebinds, the lambda's parameter `s` binds: 3 others;
    # `s.size()` is an attribute read; the lambda's body `s` is a plain read
    assert (uses.other, uses.attributes, uses.read) == (3, 1, 1)
