"""The statements around each call, read with Python's `ast`: the function and class it is
in, the loops, `with` blocks and `if` tests around it, the statement it belongs to.

The annotator says what a call calls (readkit.annotate.facts); this module says where the
call sits. The two are joined by the call's span (line and character column).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, replace

Loop = ast.For | ast.AsyncFor | ast.While
Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Context:
    function: Function | None = None
    cls: ast.ClassDef | None = None
    loops: tuple[Loop, ...] = ()  # outermost first, inside the innermost function only
    withs: tuple[ast.withitem, ...] = ()  # `with` items around the call, outermost first
    ifs: tuple[ast.If, ...] = ()  # `if` statements whose body holds the call
    statement: ast.stmt | None = None
    main_guard: ast.If | None = None  # the `if __name__ == "__main__":` it is under


@dataclass(frozen=True)
class CallSite:
    node: ast.Call
    key: tuple[int, int, int, int]  # the call's span (lines, character columns): the join key with the facts
    name: str  # the called name's last part: "step", "Adam", "Net"; "" for `f()()` and the like
    func: str  # the callee's source text: "torch.optim.Adam", "self.fc", "opt.step"
    context: Context


@dataclass
class Outline:
    """One file: its calls in source order, and its statements of interest."""

    path: str
    source: str
    tree: ast.Module
    calls: list[CallSite]
    loops: list[tuple[Loop, Context]]
    functions: list[tuple[Function, Context]]
    classes: list[tuple[ast.ClassDef, Context]]
    main_guards: list[ast.If]

    def line_text(self, line: int) -> str:
        lines = self.source.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""


def outline(path: str, source: str) -> Outline:
    """Raises SyntaxError/ValueError when the source does not parse."""
    tree = ast.parse(source)
    found = Outline(path, source, tree, [], [], [], [], [])
    _Walker(found, source).visit_body(tree.body, Context())
    found.calls.sort(key=lambda c: c.key)
    return found


def is_main_guard(node: ast.If) -> bool:
    test = node.test
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
        any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


class _Walker:
    def __init__(self, found: Outline, source: str) -> None:
        self.found = found
        self.lines = source.splitlines()

    def visit_body(self, body: list[ast.stmt], context: Context) -> None:
        for statement in body:
            self.statement(statement, replace(context, statement=statement))

    def statement(self, node: ast.stmt, context: Context) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.expressions(node.decorator_list + list(node.args.defaults), context)
            self.found.functions.append((node, context))
            self.visit_body(node.body, Context(function=node, cls=context.cls, main_guard=context.main_guard))
        elif isinstance(node, ast.ClassDef):
            self.expressions(node.decorator_list + node.bases + [k.value for k in node.keywords], context)
            self.found.classes.append((node, context))
            self.visit_body(node.body, Context(cls=node, main_guard=context.main_guard))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self.loop(node, context)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self.expressions([i.context_expr for i in node.items], context)
            self.visit_body(node.body, replace(context, withs=context.withs + tuple(node.items)))
        elif isinstance(node, ast.If):
            self.expressions([node.test], context)
            guard = node if context.function is None and context.cls is None and is_main_guard(node) else None
            if guard is not None:
                self.found.main_guards.append(node)
            inner = replace(context, ifs=context.ifs + (node,), main_guard=guard or context.main_guard)
            self.visit_body(node.body, inner)
            self.visit_body(node.orelse, replace(context, main_guard=context.main_guard))
        elif isinstance(node, ast.Try):
            for block in (node.body, *[h.body for h in node.handlers], node.orelse, node.finalbody):
                self.visit_body(block, context)
        else:
            self.expressions([node], context)

    def loop(self, node: Loop, context: Context) -> None:
        head = [node.test] if isinstance(node, ast.While) else [node.iter]
        self.expressions(head, context)
        self.found.loops.append((node, context))
        self.visit_body(node.body, replace(context, loops=context.loops + (node,)))
        self.visit_body(node.orelse, context)

    def expressions(self, nodes: Sequence[ast.AST], context: Context) -> None:
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Call):
                    self.found.calls.append(self.site(node, context))

    def site(self, node: ast.Call, context: Context) -> CallSite:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        text = ast.get_source_segment(self.found.source, func) or ""
        end_line = node.end_lineno or node.lineno
        key = (node.lineno, self.chars(node.lineno, node.col_offset), end_line,
               self.chars(end_line, node.end_col_offset or 0))
        return CallSite(node, key, name, text, context)

    def chars(self, line: int, byte_offset: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
