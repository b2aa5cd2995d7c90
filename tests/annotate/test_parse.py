"""`annotate.parse.parse_module` gives exactly libcst's own tree, however the source is cut.

The oracle is `libcst.parse_module` itself: every input is parsed whole and in pieces and the two
trees compared with `deep_equals` (every node, every whitespace). Most tests cut as small as the
cuts allow (`tiny`), so every place a cut can fall in the input is exercised; the speed of the
pieces is measured in tests/benchmarks/bench_scale.py, not here.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from readkit.annotate import api, parse
from readkit.annotate.parse import plan, stitch

ROOT = Path(__file__).resolve().parents[2]
TORCH = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "torch"


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every source is planned; pieces of 500 characters; chains of more than 3 terms in runs of 2."""
    for name, value in {"PIECE_CHARS": 500, "FILE_CHARS": 0, "GROUP_CHARS": 0, "CHAIN_TERMS": 3, "RUN_TERMS": 2}.items():
        monkeypatch.setattr(plan, name, value)


@pytest.fixture(autouse=True)
def deep_recursion() -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 30_000))  # deep_equals recurses through a 5,000-term chain
    yield
    sys.setrecursionlimit(old)


def same_as_libcst(source: str) -> str:
    """How `source` was parsed ("pieces" or "whole"), after checking the tree is libcst's own."""
    before = dict(parse.counts)
    module = parse.parse_module(source)
    whole = cst.parse_module(source)
    assert module.deep_equals(whole)
    taken = [k for k in ("pieces", "whole", "fallback") if parse.counts[k] != before.get(k, 0)]
    if whole.code == source:  # libcst drops a form feed that indents a statement inside a block
        assert "fallback" not in taken, "the pieces were given up: something was not as planned"
    return taken[0]


# ---------------------------------------------------------------------- sources that stress the cuts

CHAINS = '''\
import torch
x = (a +  # a comment after an operator
     b - c *
     d

     # a comment line and an empty line inside the brackets
     + e) + \\
    f + g // h % i @ j
y = ((a + b) + c) + d + e + f + g
z = (x + m - 1) // m * m + (n - 1) - p ** 2 ** q - r << s >> t | u & v ^ w
w = [-a + b, not a + b or c + d and e + f + g, a < b + c + d < e]
s = f"{a + b + c + d + e}" + f"{x!r}" + "lit" "eral" + g
def f(u):
\tif u:
\t\treturn(u + 1 + 2
\t\t       + 3 + 4)
\treturn[u + 1 + 2 + 3 + 4]
'''

DISPLAYS = '''\
CONFIG = {
    # leading comment
    "a": 1, "b": [1, 2, 3, 4, 5, 6],  # trailing comment
    ("k", 1): {"nested": (1, 2), "more": {1, 2, 3, 4}},
    **base,
    "c": lambda x: x + 1 + 2 + 3 + 4,
    "d": [*rest, 1, 2, (3), 4,],
    "e": {i: i for i in range(3)},
    (("key")): 5,

    "f": 6,
}
ITEMS = [
    1,
    2,  # two
    (3),
    [4, 5],
    6
    ,
    7,
]
S = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,}
'''

STATEMENTS = '''\
#!/usr/bin/env python
# -*- coding: latin-1 -*-
"""Module docstring."""

import os, sys; import torch
from torch import (nn,
                   optim)


# a comment before a decorated function
@decorator
# between decorators
@other(1,
       2)
def f(a, b=[1, 2, 3, 4, 5, 6, 7, 8]):
    """Docstring."""
    x = a + b
    # an indented comment at the end of the block

# a column-0 comment after it

class A(nn.Module): pass
class B:
    x = 1
    def g(self):
        if self: return 1
        elif not self:
            return 2
        else:
            return 3
    # the class's last comment
if True: y = 1
else:
    y = 2
x = 1 \\
    + 2
async def h():
    async with a as b, c as d:
        await b + c + d + e + f

if __name__ == "__main__":
    f(1, 2)
    # footer of the block
# footer of the module
'''

MATCH_FIRST = '''\
import torch
match command.split():
  case [action]:
        pass
  case [action, obj]:
        pass
def f():
    return 1 + 2 + 3 + 4 + 5 + 6
'''

ELSE_FIRST = "import torch\nif x: pass\nelse:\n   y = 1 + 2 + 3 + 4 + 5\ndef f():\n    return 1\nz = 2\n"
ELIF_FIRST = "import torch\nif x: pass\nelif y: pass\nelif z:\n  w = 1 + 2 + 3 + 4 + 5\ndef f():\n    return 1\nv = 2\n"

SOURCES = {"chains": CHAINS, "displays": DISPLAYS, "statements": STATEMENTS, "match first": MATCH_FIRST,
           "else first": ELSE_FIRST, "elif first": ELIF_FIRST}


def variants(source: str) -> dict[str, str]:
    """The same code as a file can hold it: other newlines, tabs, form feeds, a BOM, no last newline."""
    return {
        "as written": source,
        "no trailing newline": source.rstrip("\n"),
        "trailing blank lines": source + "\n\n",
        "CRLF": source.replace("\n", "\r\n"),
        "CRLF after the first line": source.replace("\n", "\r\n").replace("\r\n", "\n", 1),
        "tabs": source.replace("    ", "\t"),
        "form feeds": source.replace("\n\n", "\n\x0c\n").replace("\n    x = a + b", "\n\x0c    x = a + b"),
        "BOM": "\ufeff" + source,
        "ends in a comment without newline": source + "# last",
        "ends with a backslash": source + "z = 1 + \\\n  2",
    }


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("variant", list(variants("")))
def test_pieces_give_libcsts_tree(tiny: None, name: str, variant: str) -> None:
    source = variants(SOURCES[name])[variant]
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("not a valid variant of this source")
    same_as_libcst(source)


def test_the_sources_are_really_cut(tiny: None) -> None:
    for name, source in SOURCES.items():
        found = plan.make_plan(source, ast.parse(source))
        assert found is not None, name
        assert len(found.groups) > 1 or found.groups[0].holes, name
    chains = plan.make_plan(CHAINS, ast.parse(CHAINS))
    assert chains is not None and sum(len(g.holes) for g in chains.groups) >= 5


def test_every_fixture_gives_libcsts_tree(tiny: None) -> None:
    sources = sorted((ROOT / "fixtures").rglob("*.py"))
    assert len(sources) > 100
    ways = [same_as_libcst_or_same_error(path.read_text(encoding="utf-8")) for path in sources]
    assert ways.count("pieces") > len(ways) // 4  # the others are mostly one statement or one class


def same_as_libcst_or_same_error(source: str) -> str:
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as error:  # 0.3-era `x.cuda(async=True)`: the engine renames it first
        with pytest.raises(cst.ParserSyntaxError) as pieces:
            parse.parse_module(source)
        assert str(pieces.value) == str(error)
        return "error"
    return same_as_libcst(source)


def test_a_large_generated_file_gives_libcsts_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds at a fifth (groups from 20 KB): a 55 KB file, a 500-entry dict literal, 400 functions."""
    monkeypatch.setattr(plan, "PIECE_CHARS", plan.PIECE_CHARS // 5)
    monkeypatch.setattr(plan, "FILE_CHARS", plan.FILE_CHARS // 5)
    monkeypatch.setattr(plan, "GROUP_CHARS", plan.FILE_CHARS)
    entries = "".join(f"    ({i}, 'k{i}', {i}.5): ({i}, 8, [1, 2], {{'x': {i}}}),  # entry {i}\n" for i in range(500))
    functions = "".join(f"\n\n@decorated({i})\ndef f{i}(x):\n    return x + {i}  # {i}\n" for i in range(400))
    source = f"import torch\n\nDATA = {{\n{entries}}}\n{functions}\nif __name__ == '__main__':\n    f0(1)\n"
    assert len(source) > plan.FILE_CHARS
    found = plan.make_plan(source, ast.parse(source))
    assert found is not None and len(found.groups) > 1 and len(found.groups[0].holes[0].pieces) > 1
    assert same_as_libcst(source) == "pieces"


# ---------------------------------------------------------------------- long chains


def test_a_5000_term_chain_takes_the_runs() -> None:
    source = "import torch\nx = torch.zeros(3)\nx = x" + " + 1" * 5000 + "\n"
    before = parse.counts["pieces"]
    module = parse.parse_module(source)
    assert parse.counts["pieces"] == before + 1 and module.code == source
    node = module.body[2].body[0].value  # type: ignore[attr-defined]  # x = x + 1 + ...
    depth = 0
    while isinstance(node, cst.BinaryOperation):
        assert not node.lpar and isinstance(node.operator, cst.Add)
        node, depth = node.left, depth + 1
    assert depth == 5000 and isinstance(node, cst.Name) and node.value == "x"


def test_a_1000_term_chain_of_mixed_operators_gives_libcsts_tree() -> None:
    # one precedence level per chain; the terms of the first are products (chains of their own)
    terms = [f"t{i}" if i % 5 else f"t{i} * 2 // u @ v" for i in range(1000)]
    sums = "".join(f" {'+-'[i % 2]} {term}" + ("  # c\n   " if i % 7 == 0 else "") for i, term in enumerate(terms))
    products = "".join(f" {['*', '/', '//', '%', '@'][i % 5]} t{i}" for i in range(1000))
    before = parse.counts["pieces"]
    assert same_as_libcst(f"import torch\ny = (x{sums})\nz = x{products}\n") == "pieces"
    plan_of = plan.make_plan(f"y = (x{sums})\nz = x{products}\n", ast.parse(f"y = (x{sums})\nz = x{products}\n"))
    assert plan_of is not None and [b.size for b in plan_of.groups[0].holes] == [1000, 1000]
    assert parse.counts["pieces"] == before + 1


def test_the_analysis_of_a_5000_term_chain() -> None:
    result = api.annotate_source("import torch\nx = torch.zeros(3)\ny = x" + " + 1" * 5000 + "\n", "chain.py")
    assert result.error is None
    assert [(a.line, a.symbol) for a in result.annotations] == [(2, "torch.zeros"), (3, "torch.Tensor.__add__")]
    assert result.annotations[1].end_column == len("y = x" + " + 1" * 5000) + 1


# ---------------------------------------------------------------------- falling back


def test_a_cut_in_the_wrong_place_falls_back_to_one_parse(tiny: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "_comma_gap", lambda gap: True)  # cut before `(2)`: the piece starts inside brackets
    source = "import torch\nx = [" + ", ".join(f"({i})" for i in range(200)) + "]\n" + "y = [1, 2]\n" * 50
    before = parse.counts["fallback"]
    assert parse.parse_module(source).deep_equals(cst.parse_module(source))
    assert parse.counts["fallback"] == before + 1


def test_a_stitched_tree_that_does_not_give_the_source_back_is_not_used(tiny: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def one_statement_short(self: stitch.Stitcher) -> cst.Module:
        return cst.parse_module(self.source).with_changes(body=[])

    monkeypatch.setattr(stitch.Stitcher, "module", one_statement_short)
    source = "import torch\n" + "x = 1\n" * 300
    before = parse.counts["fallback"]
    assert parse.parse_module(source).deep_equals(cst.parse_module(source))
    assert parse.counts["fallback"] == before + 1


def test_a_syntax_error_is_libcsts_own(tiny: None) -> None:
    source = "import torch\nx = [1, 2, 3]\n" * 10 + "def f(:\n    pass\n"
    with pytest.raises(cst.ParserSyntaxError) as whole:
        cst.parse_module(source)
    with pytest.raises(cst.ParserSyntaxError) as pieces:
        parse.parse_module(source)
    assert str(pieces.value) == str(whole.value)


def test_cpythons_tree_from_the_check_is_used_not_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from readkit.annotate import files

    built: list[str] = []
    monkeypatch.setattr(parse, "_cpython_tree", lambda source: built.append(source))
    source = "import torch\nx = x" + " + 1" * 400 + "\n"
    assert files.check_analyzable(source) is None
    assert same_as_libcst(source) == "pieces" and built == []


# ---------------------------------------------------------------------- torch's largest files

BIG = ["sparse/_triton_ops_meta.py", "testing/_internal/common_methods_invocations.py"]


@pytest.mark.slow
@pytest.mark.parametrize("name", BIG)
def test_torchs_largest_files_give_libcsts_tree(name: str) -> None:
    path = TORCH / name
    if not path.exists():
        pytest.skip(f"torch's source is not installed at {TORCH}")
    source = path.read_text(encoding="utf-8")
    assert same_as_libcst(source) == "pieces"


# ---------------------------------------------------------------------- memory after a large file


def test_a_worker_gives_back_the_memory_of_a_large_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from readkit.annotate import pool

    trimmed: list[bool] = []
    monkeypatch.setattr(pool, "_release_freed_memory", lambda: trimmed.append(True))
    small, large = tmp_path / "small.py", tmp_path / "large.py"
    small.write_text("import torch\nx = torch.zeros(1)\n")
    large.write_text("import torch\n" + "x = torch.zeros(1)\n" * 6000)
    for path in (small, large):
        result, _ = pool.run_task(api.analyze_file, pool.FileTask(str(path), path.stem, False, (str(tmp_path),)))
        assert result.error is None and len(result.annotations) >= 1
    assert trimmed == [True]
    assert pool._malloc_trim() is not None or not Path("/lib/x86_64-linux-gnu/libc.so.6").exists()
