"""Positions of the few nodes that carry findings, without libcst's whole-module codegen.

libcst nodes carry no positions; its PositionProvider regenerates the whole module's code to
compute them, which costs more than parsing. CPython's `ast` (a C parser, ~10x faster) has
positions for every expression. Both trees have the same statements in the same order, and
inside one statement the same expressions in the same source order: the k-th `Call` of a
statement in libcst is the k-th `Call` of that statement in `ast`. So a node's position is
found by its statement and its rank among nodes of its type there. When the two trees
disagree anywhere (a construct one parser reads differently), the caller falls back to
libcst's PositionProvider: never a wrong position, at worst a slower one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence

import libcst as cst

from readkit.annotate.nodes import is_node
from readkit.annotate.walker import _fields

Span = tuple[int, int, int, int]  # line, column, end line, end column: 1-based lines, 0-based columns

_MATCHED: dict[type, type] = {
    cst.Call: ast.Call, cst.Attribute: ast.Attribute, cst.Subscript: ast.Subscript, cst.Name: ast.Name,
    cst.BinaryOperation: ast.BinOp, cst.UnaryOperation: ast.UnaryOp, cst.Comparison: ast.Compare,
    cst.FormattedStringExpression: ast.FormattedValue, cst.Lambda: ast.Lambda,
}
_STATEMENT_TYPES = (cst.BaseSmallStatement, cst.BaseCompoundStatement)


class Mismatch(Exception):
    """The two trees disagree: use libcst's own positions."""


class AstPositions:
    """Spans of libcst nodes read from CPython's ast of the same source (parsed once, lazily)."""

    def __init__(self, module: cst.Module, source: str, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self.module = module
        self.source = source
        self.parents = parents
        self._units: dict[cst.CSTNode, ast.stmt] | None = None
        self._unit_known: dict[cst.CSTNode, cst.CSTNode] = {}
        self._lines: list[str] = []

    def spans(self, targets: Sequence[cst.CSTNode]) -> dict[cst.CSTNode, Span]:
        """The span of each target node. Raises Mismatch when ast and libcst disagree."""
        units = self._statement_pairs()
        by_unit: dict[cst.CSTNode, list[cst.CSTNode]] = {}
        found: dict[cst.CSTNode, Span] = {}
        for node in targets:
            if isinstance(node, cst.SimpleStatementLine):  # a whole line of small statements
                first, last = (_span(units[s], self._lines) if s in units else _missing() for s in (node.body[0], node.body[-1]))
                found[node] = (first[0], first[1], last[2], last[3])
                continue
            by_unit.setdefault(_unit_of(node, self.parents, self._unit_known), []).append(node)
        for unit, nodes in by_unit.items():
            if unit not in units:
                raise Mismatch
            found.update(_match(unit, units[unit], nodes, self._lines))
        return found

    def _statement_pairs(self) -> dict[cst.CSTNode, ast.stmt]:
        if self._units is None:
            try:
                tree = ast.parse(self.source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                raise Mismatch from None
            self._units = _units(self.module.body, tree.body)
            self._lines = self.source.splitlines()
        return self._units


# ---------------------------------------------------------------------- statements


def _units(body: Sequence[cst.CSTNode], statements: Sequence[ast.stmt]) -> dict[cst.CSTNode, ast.stmt]:
    """Each libcst small or compound statement with its ast statement."""
    pairs: dict[cst.CSTNode, ast.stmt] = {}
    queue = list(statements)
    for node in body:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                pairs[small] = _pop(queue)
        elif isinstance(node, cst.BaseCompoundStatement):
            statement = _pop(queue)
            pairs[node] = statement
            for libcst_body, ast_body in _bodies(node, statement):
                pairs.update(_units(libcst_body, ast_body))
    if queue:
        raise Mismatch
    return pairs


def _missing() -> Span:
    raise Mismatch


def _pop(queue: list[ast.stmt]) -> ast.stmt:
    if not queue:
        raise Mismatch
    return queue.pop(0)


def _bodies(node: cst.CSTNode, statement: ast.stmt) -> Iterator[tuple[Sequence[cst.CSTNode], Sequence[ast.stmt]]]:
    body = getattr(node, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield _small_or_lines(body), statement.body  # type: ignore[attr-defined]  # the statement kinds matched above all have this field
    orelse = getattr(node, "orelse", None)
    if isinstance(orelse, cst.If):
        yield [orelse], statement.orelse  # type: ignore[attr-defined]  # the statement kinds matched above all have this field
    elif isinstance(orelse, cst.Else):
        yield _small_or_lines(orelse.body), statement.orelse  # type: ignore[attr-defined]  # the statement kinds matched above all have this field
    for handler, ast_handler in zip(getattr(node, "handlers", ()), getattr(statement, "handlers", ())):
        yield _small_or_lines(handler.body), ast_handler.body
    final = getattr(node, "finalbody", None)
    if isinstance(final, cst.Finally):
        yield _small_or_lines(final.body), statement.finalbody  # type: ignore[attr-defined]  # the statement kinds matched above all have this field
    for case, ast_case in zip(getattr(node, "cases", ()), getattr(statement, "cases", ())):
        yield _small_or_lines(case.body), ast_case.body


def _small_or_lines(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=suite.body)]  # same small statements, same identities
    return suite.body


def _unit_of(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode],
             known: dict[cst.CSTNode, cst.CSTNode]) -> cst.CSTNode:
    """The statement `node` is part of (`known` remembers the answer for every node passed on
    the way up, so that nodes of one deep expression cost one climb in all)."""
    path: list[cst.CSTNode] = []
    current: cst.CSTNode | None = node
    while current is not None and current not in known and not isinstance(current, _STATEMENT_TYPES):
        path.append(current)
        current = parents.get(current)
    if current is None:
        raise Mismatch
    unit = known.get(current, current)
    for passed in path:
        known[passed] = unit
    return unit


# ---------------------------------------------------------------------- expressions


def _match(unit: cst.CSTNode, statement: ast.stmt, nodes: list[cst.CSTNode], lines: list[str]) -> dict[cst.CSTNode, Span]:
    found: dict[cst.CSTNode, Span] = {}
    wanted = [n for n in nodes if n is not unit]
    if len(wanted) < len(nodes):
        found[unit] = _span(statement, lines)
    if not wanted:
        return found
    libcst_order: dict[type, list[cst.CSTNode]] = {}
    for node in _source_order(unit):
        if isinstance(node, cst.Name) and node.value in _CONSTANT_NAMES:
            continue  # ast reads None/True/False as constants, not names
        libcst_order.setdefault(type(node), []).append(node)
    ast_order = _ast_order(statement)
    ranks = {node: rank for same in libcst_order.values() for rank, node in enumerate(same)}
    for node in wanted:
        kind = _MATCHED.get(type(node))
        counterpart = ast_order.get(kind, []) if kind is not None else []
        if node not in ranks or len(counterpart) != len(libcst_order[type(node)]):
            raise Mismatch
        found[node] = _span(counterpart[ranks[node]], lines)
    return found


def _ast_order(statement: ast.stmt) -> dict[type, list[ast.AST]]:
    order: dict[type, list[ast.AST]] = {}
    for root in _ast_header(statement):
        for node in ast.walk(root):
            if type(node) in _AST_MATCHED:
                order.setdefault(type(node), []).append(node)
    for nodes in order.values():
        nodes.sort(key=_position_key)
    return order


_AST_MATCHED = frozenset(_MATCHED.values())
_CONSTANT_NAMES = frozenset({"None", "True", "False"})


def _position_key(node: ast.AST) -> tuple[int, int, int, int]:
    """Source pre-order: by start, and the larger of two nodes starting together first."""
    span = (getattr(node, "lineno"), getattr(node, "col_offset"),
            getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
    return (span[0], span[1], -span[2], -span[3])


def _ast_header(statement: ast.stmt) -> list[ast.AST]:
    """The parts of a statement that are not nested statements."""
    if not hasattr(statement, "body"):
        return [statement]
    parts: list[ast.AST] = []
    for name, value in ast.iter_fields(statement):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            if name == "handlers":
                parts.extend(h.type for h in value if h.type is not None)
            continue
        if isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            parts.append(value)
    return parts


# Fields of libcst nodes that hold names which are not expressions (ast keeps them as str).
_NOT_EXPRESSION_NAMES = {
    cst.Attribute: "attr", cst.FunctionDef: "name", cst.ClassDef: "name", cst.Param: "name", cst.Arg: "keyword",
}
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_FIRST_FIELDS = {cst.IfExp: ("body", "test", "orelse"),
                 cst.FunctionDef: ("decorators", "params", "returns"),
                 cst.ClassDef: ("decorators", "bases", "keywords"),
                 cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
                 cst.AsName: ("name",)}


_STOPS: dict[type, bool] = {}


def _stops(kind: type) -> bool:
    """Nested statements are units of their own; their nodes are not part of this one."""
    found = _STOPS.get(kind)
    if found is None:
        found = _STOPS[kind] = issubclass(kind, (*_STATEMENT_TYPES, cst.ExceptHandler))
    return found


def _source_order(unit: cst.CSTNode) -> list[cst.CSTNode]:
    """Pre-order of a statement's expression nodes in source order; nested statements are other
    units. Iterative: a chain of 5,000 operations is 5,000 levels deep."""
    found: list[cst.CSTNode] = []
    stack: list[tuple[cst.CSTNode, bool]] = [(unit, True)]
    while stack:
        node, top = stack.pop()
        if not top and _stops(type(node)):
            continue
        found.append(node)
        stack.extend((child, False) for child in reversed(_children_of(node, top)))
    return found


def _children_of(node: cst.CSTNode, top: bool) -> list[cst.CSTNode]:
    children: list[cst.CSTNode] = []
    skipped = _NOT_EXPRESSION_NAMES.get(type(node))
    for name in _FIRST_FIELDS.get(type(node), ()) or _fields(type(node)):
        if name == skipped or (top and name in _BODY_FIELDS):
            continue
        if isinstance(node, cst.Try) and name == "handlers":
            continue
        value: object = getattr(node, name, None)
        if isinstance(value, (list, tuple)):
            children.extend(item for item in value if is_node(type(item)))
        elif is_node(type(value)):
            children.append(value)  # type: ignore[arg-type]  # a CSTNode: is_node said so
    if isinstance(node, cst.Try) and top:
        children.extend(handler.type for handler in node.handlers if handler.type is not None)
    return children



def _span(node: ast.AST, lines: list[str]) -> Span:
    line: int = getattr(node, "lineno")
    end_line: int = getattr(node, "end_lineno", None) or line
    return (line, _chars(lines, line, getattr(node, "col_offset")), end_line,
            _chars(lines, end_line, getattr(node, "end_col_offset", None) or 0))


def _chars(lines: list[str], line: int, byte_offset: int) -> int:
    """ast columns count UTF-8 bytes; libcst's (and editors') count characters."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return byte_offset
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
