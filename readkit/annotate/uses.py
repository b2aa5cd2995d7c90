"""The one batched walk: every node once, in source order; PyTorch uses become `Use`s and
each legacy rule's `visit_<NodeType>` is called on the way.

What counts as a use (the roles of torch APIs a line's own code calls directly): calls of
torch names, members of torch objects (`opt.step()`, `x.grad`), calls of module instances,
operators and indexing on tensors, iterating loaders/tensors/module lists, torch decorators
and torch class bases. Passing a torch name as a value (`dtype=torch.float32`) is not a use.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from readkit import roles
from readkit.annotate import heuristics, values
from readkit.annotate.evaluate import Evaluator, element_of, tensor_operands, unpack
from readkit.annotate.scopes import Scope
from readkit.annotate.values import Kind, Value


@dataclass(frozen=True)
class Use:
    node: cst.CSTNode
    role: str
    evidence: str
    symbol: str | None
    rule: str  # import-resolution | object-origin | method-name | variable-name


Visitor = Callable[[cst.CSTNode], None]

TENSOR_READS: frozenset[str] = frozenset(
    "grad data shape T mT H dtype device requires_grad grad_fn is_leaf ndim is_cuda real imag".split()
)
CTX = "torch.autograd.function.FunctionCtx"
CTX_READS: frozenset[str] = frozenset({"saved_tensors", "needs_input_grad", "saved_variables"})
HEURISTIC_READS: frozenset[str] = frozenset({"grad_fn", "param_groups", "is_leaf"})
# Builtins that call a Python protocol method of their argument (a torch method when it is a tensor).
BUILTIN_PROTOCOLS: dict[str, str] = {
    "len": "__len__", "int": "__int__", "float": "__float__", "bool": "__bool__", "str": "__repr__",
    "repr": "__repr__", "print": "__repr__", "format": "__format__", "abs": "__abs__", "round": "__round__",
    "complex": "__complex__",
}
PASS_THROUGH = frozenset({"enumerate", "tqdm", "zip", "iter", "reversed", "list", "tuple", "sorted", "trange"})


class Walker:
    def __init__(self, evaluator: Evaluator, scopes: dict[cst.CSTNode, Scope],
                 visitors: dict[type, list[Callable[[cst.CSTNode], None]]]) -> None:
        self.ev = evaluator
        self.scopes = scopes
        self.visitors = visitors
        self.uses: list[Use] = []
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.scope: Scope = Scope("module", None)
        self._called: set[cst.CSTNode] = set()  # func nodes of calls: not attribute reads
        self.quiet = 0  # > 0 inside type annotations that never run: no use
        self.lazy_annotations = False  # `from __future__ import annotations`

    # ------------------------------------------------------------------ traversal

    def walk(self, node: cst.CSTNode) -> None:
        for visit in self.visitors.get(type(node), ()):
            visit(node)
        special = _SPECIAL.get(type(node))
        if special is not None:
            special(self, node)
            return
        hook = _HOOKS.get(type(node))
        if hook is not None and not self.quiet:
            hook(self, node)
        self.children(node)

    def children(self, node: cst.CSTNode, skip: tuple[str, ...] = ()) -> None:
        for name in _fields(type(node)):
            if name in skip:
                continue
            self.child(node, getattr(node, name))

    def child(self, parent: cst.CSTNode, value: object) -> None:
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:  # type: ignore[attr-defined]
                if _is_node(type(item)):
                    self.parents[item] = parent
                    self.walk(item)
        elif _is_node(kind):
            self.parents[value] = parent  # type: ignore[index]
            self.walk(value)  # type: ignore[arg-type]

    def in_scope(self, scope: Scope, body: Callable[[], None]) -> None:
        outer = self.scope
        self.scope = scope
        self.ev.flows[scope] = {}
        try:
            body()
        finally:
            self.ev.flows.pop(scope, None)
            self.scope = outer

    # ------------------------------------------------------------------ recording

    def add(self, node: cst.CSTNode, symbol: str, evidence: str, rule: str) -> None:
        role = roles.role_for(symbol)
        if role is not None and not self.quiet:
            self.uses.append(Use(node, role, evidence, symbol, rule))

    def value(self, expr: cst.BaseExpression) -> Value | None:
        return self.ev.value(expr, self.scope)

    def bind(self, target: cst.BaseExpression, value: Value | None) -> None:
        flow = self.ev.flows.setdefault(self.scope, {})
        if isinstance(target, cst.Name):
            flow[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                inner = None if isinstance(element, cst.StarredElement) else unpack(value, index)
                self.bind(element.value, inner)

    # ------------------------------------------------------------------ uses

    def on_call(self, node: cst.Call) -> None:
        func = node.func
        self._called.add(func)
        callee = self.value(func)
        if callee is not None and callee.kind is Kind.OBJ and values.family(callee.qualname) == "module":
            self.add(node, "torch.nn.Module.__call__", _derived(callee), _rule(callee))
        elif isinstance(func, cst.Attribute) and func.attr.value == "format" and isinstance(
                func.value, (cst.SimpleString, cst.ConcatenatedString)):
            self.formatting(node, [a.value for a in node.args])
        elif isinstance(func, cst.Attribute):
            self.member(func, self.value(func.value), func.attr.value, called=True)
        elif callee is not None and callee.kind is Kind.REF:
            self.add(node, callee.qualname, callee.evidence, "import-resolution")
        elif callee is not None and callee.kind is Kind.CLASS:
            self.add(node, callee.qualname, "inferred", "object-origin")
        elif isinstance(func, cst.Name) and func.value in BUILTIN_PROTOCOLS and self.ev.lookup(func.value, self.scope) is None:
            self.builtin(node, func.value)
        self.iteration_of_pass_through(node)

    def builtin(self, node: cst.Call, name: str) -> None:
        """`len(loader)`, `float(loss)`, `print(x)`: Python protocols that run torch code."""
        for arg in node.args:
            found = self.value(arg.value)
            if found is None or found.kind is not Kind.OBJ:
                continue
            fam = values.family(found.qualname)
            if fam == "tensor":
                self.add(node, f"torch.Tensor.{BUILTIN_PROTOCOLS[name]}", _derived(found), _rule(found))
            elif name == "len" and (found.qualname.startswith("torch.utils.data") or
                                    found.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES):
                self.add(node, f"{found.qualname}.__len__", _derived(found), _rule(found))

    def on_formatted(self, node: cst.FormattedStringExpression) -> None:
        found = self.value(node.expression)
        if found is not None and found.kind is Kind.OBJ and values.family(found.qualname) == "tensor":
            self.add(node.expression, "torch.Tensor.__format__", _derived(found), _rule(found))

    def formatting(self, node: cst.Call | cst.BinaryOperation, args: list[cst.BaseExpression]) -> None:
        """`"{}".format(loss)` and `"%f" % (loss,)` format tensors."""
        for arg in args:
            found = self.value(arg)
            if found is not None and found.kind is Kind.TUPLE:
                self.formatting(node, [e.value for e in arg.elements] if isinstance(arg, cst.Tuple) else [])
            elif found is not None and found.kind is Kind.OBJ and values.family(found.qualname) == "tensor":
                self.add(node, "torch.Tensor.__format__", _derived(found), _rule(found))
                return

    def member(self, node: cst.Attribute, receiver: Value | None, name: str, called: bool) -> None:
        if receiver is None:
            self.unknown_member(node, name, called)
        elif receiver.kind is Kind.REF:
            if called or _module_read(receiver.qualname, name, self.parents.get(node)):
                self.add(node, f"{receiver.qualname}.{name}", receiver.evidence, "import-resolution")
        elif receiver.kind is Kind.CLASS:
            if called and not self.ev.defines(receiver.user_class, name):
                self.add(node, f"{receiver.qualname}.{name}", "inferred", "object-origin")
        elif receiver.kind is Kind.OBJ:
            self.object_member(node, receiver, name, called)
        elif receiver.kind is Kind.BATCH and called and name in heuristics.TENSOR_LIKE_METHODS:
            self.add(node, f"torch.Tensor.{name}", "heuristic", "variable-name")

    def object_member(self, node: cst.Attribute, receiver: Value, name: str, called: bool) -> None:
        if receiver.user_class is not None and (self.ev.defines(receiver.user_class, name)
                                                or self.ev.self_attribute(receiver.user_class, name) is not None):
            return
        if receiver.qualname == CTX:
            if called or name in CTX_READS:
                self.add(node, f"{CTX}.{name}", _derived(receiver), _rule(receiver))
            return
        fam = values.family(receiver.qualname)
        if not called and not (fam == "tensor" and name in TENSOR_READS) and not (
                fam == "optimizer" and name in ("param_groups", "state", "defaults")):
            return
        if not _known_member(receiver, fam, name):
            return
        if fam == "other" and receiver.qualname.startswith("torch.autograd.function"):
            self.add(node, f"torch.autograd.function.FunctionCtx.{name}", _derived(receiver), _rule(receiver))
            return
        self.add(node, values.member_symbol(receiver, name), _derived(receiver), _rule(receiver))

    def unknown_member(self, node: cst.Attribute, name: str, called: bool) -> None:
        receiver_name = node.value.value if isinstance(node.value, cst.Name) else None
        guessed = heuristics.value_from_name(receiver_name) if receiver_name else None
        if guessed is not None and (called or name in HEURISTIC_READS):
            self.object_member(node, guessed, name, called)
            return
        if called:
            found = heuristics.unknown_receiver_role(name, receiver_name)
            if found is None and receiver_name is not None and heuristics.tensor_by_name(receiver_name, name):
                found = ("tensor", f"torch.Tensor.{name}")
            if found is not None:
                self.add(node, found[1], "heuristic", "method-name")
            inner = node.value
            if found is not None and found[0] == "tensor" and isinstance(inner, cst.Attribute) and \
                    inner.attr.value in ("data", "grad") and self.value(inner.value) is None:
                self.add(inner, f"torch.Tensor.{inner.attr.value}", "heuristic", "method-name")
        elif name in HEURISTIC_READS:
            symbol = "torch.optim.Optimizer.param_groups" if name == "param_groups" else f"torch.Tensor.{name}"
            self.add(node, symbol, "heuristic", "method-name")

    def on_attribute(self, node: cst.Attribute) -> None:
        if node not in self._called:
            self.member(node, self.value(node.value), node.attr.value, called=False)

    def on_operation(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo) and isinstance(
                node.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self.formatting(node, [node.right])
            return
        found = [self.value(o) for o in tensor_operands(node)]
        tensors = [v for v in found if v is not None and v.kind is Kind.OBJ and values.family(v.qualname) == "tensor"]
        if tensors:
            evidence = "heuristic" if all(v.evidence == "heuristic" for v in tensors) else "inferred"
            self.add(node, f"torch.Tensor.{_dunder(node)}", evidence, "object-origin")

    def on_subscript(self, node: cst.Subscript) -> None:
        base = self.value(node.value)
        if base is None or base.kind is not Kind.OBJ:
            return
        fam = values.family(base.qualname)
        if fam == "tensor" and not _string_index(node):
            self.add(node, "torch.Tensor.__getitem__", _derived(base), _rule(base))
        elif base.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES or (
                base.qualname.startswith("torch.utils.data.") and base.user_class is None):
            self.add(node, f"{base.qualname}.__getitem__", _derived(base), _rule(base))

    def on_decorator(self, node: cst.Decorator) -> None:
        expr = node.decorator
        if not isinstance(expr, cst.Call):
            found = self.value(expr)
            if found is not None and found.kind is Kind.REF:
                self.add(expr, found.qualname, found.evidence, "import-resolution")

    def iteration(self, iterable: cst.BaseExpression) -> None:
        """`for x in it`: iterating a loader, a tensor or a module list runs torch code."""
        found = self.value(iterable)
        if found is None or found.kind is not Kind.OBJ:
            return
        fam = values.family(found.qualname)
        last = found.qualname.rsplit(".", 1)[-1]
        if fam == "loader":
            self.add(iterable, "torch.utils.data.DataLoader.__iter__", _derived(found), _rule(found))
        elif fam == "tensor":
            self.add(iterable, "torch.Tensor.__iter__", _derived(found), _rule(found))
        elif last in heuristics.INDEXABLE_MODULES:
            self.add(iterable, f"{found.qualname}.__iter__", _derived(found), _rule(found))

    def iteration_of_pass_through(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in ("enumerate", "tqdm", "iter", "zip", "trange"):
            if self.ev.lookup(node.func.value, self.scope) is None:
                for arg in node.args[:1] if node.func.value != "zip" else node.args:
                    if self.parents.get(node) is not None and _iterated_directly(self.parents.get(node), node):
                        self.iteration(arg.value)

    def element(self, iterable: cst.BaseExpression) -> Value | None:
        """The value of one element of `iterable`, seeing through enumerate/zip/tqdm."""
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and \
                iterable.func.value in PASS_THROUGH and self.ev.lookup(iterable.func.value, self.scope) is None:
            inner = [self.element(a.value) for a in iterable.args if a.keyword is None]
            if iterable.func.value == "enumerate" and inner:
                return Value(Kind.TUPLE, "tuple", "inferred", items=(None, inner[0]))
            if iterable.func.value == "zip":
                return Value(Kind.TUPLE, "tuple", "inferred", items=tuple(inner))
            return inner[0] if inner else None
        return element_of(self.value(iterable))


# ---------------------------------------------------------------------- statements that bind


def _for(w: Walker, node: cst.For) -> None:
    w.child(node, node.iter)
    w.iteration(node.iter)
    w.bind(node.target, w.element(node.iter))
    w.child(node, node.target)
    w.child(node, node.body)
    w.child(node, node.orelse)


def _assign(w: Walker, node: cst.Assign) -> None:
    w.child(node, node.value)
    found = w.value(node.value)
    for target in node.targets:
        w.bind(target.target, found)
        _store(w, target.target)
        w.child(node, target)


def _ann_assign(w: Walker, node: cst.AnnAssign) -> None:
    if node.value is not None:
        w.child(node, node.value)
        hinted = w.ev.from_annotation(node.annotation.annotation, w.scope)
        w.bind(node.target, hinted or w.value(node.value))
    w.child(node, node.target)
    w.child(node, node.annotation)


def _aug_assign(w: Walker, node: cst.AugAssign) -> None:
    w.child(node, node.value)
    w.child(node, node.target)
    found = [w.value(node.target), w.value(node.value)]
    tensors = [v for v in found if v is not None and v.kind is Kind.OBJ and values.family(v.qualname) == "tensor"]
    if tensors:
        w.add(node, f"torch.Tensor.__i{_dunder(node)[2:]}", _derived(tensors[0]), "object-origin")
        w.bind(node.target, values.tensor(_derived(tensors[0])))


def _store(w: Walker, target: cst.BaseExpression) -> None:
    """`x[i] = v` on a tensor and `p.grad = None` are uses too."""
    if isinstance(target, cst.Subscript):
        w.on_subscript(target)
        w._called.add(target)
    elif isinstance(target, cst.Attribute):
        receiver = w.value(target.value)
        if receiver is not None and receiver.kind is Kind.OBJ and values.family(receiver.qualname) == "tensor":
            w.object_member(target, receiver, target.attr.value, called=False)
        elif receiver is not None and receiver.kind is Kind.REF and not target.attr.value.startswith("__"):
            w.add(target, f"{receiver.qualname}.{target.attr.value}", receiver.evidence, "import-resolution")
        w._called.add(target)


def _with(w: Walker, node: cst.With) -> None:
    for item in node.items:
        w.child(node, item)
        if item.asname is not None:
            w.bind(item.asname.name, None)
    w.child(node, node.body)


def _function(w: Walker, node: cst.FunctionDef) -> None:
    w.child(node, node.decorators)
    w.child(node, node.params)
    w.child(node, node.returns)
    w.ev.flows.get(w.scope, {}).pop(node.name.value, None)
    scope = w.scopes.get(node)
    if scope is None:
        return
    w.in_scope(scope, lambda: w.child(node, node.body))


def _class(w: Walker, node: cst.ClassDef) -> None:
    w.child(node, node.decorators)
    for arg in node.bases:
        w.child(node, arg)  # `nn.Module` is read from a torch module: on_attribute marks it
        base = w.value(arg.value)
        if base is not None and base.kind in (Kind.REF, Kind.CLASS) and base.qualname.startswith(_METACLASS_BASES):
            # autograd.Function's metaclass runs torch code when the class statement runs
            w.add(arg.value, f"{base.qualname}", _derived(base), _rule(base))
    w.child(node, node.keywords)
    w.ev.flows.get(w.scope, {}).pop(node.name.value, None)
    scope = w.scopes.get(node)
    if scope is not None:
        w.in_scope(scope, lambda: w.child(node, node.body))


def _lambda(w: Walker, node: cst.Lambda) -> None:
    scope = Scope("lambda", w.scope)

    def body() -> None:
        for param in node.params.params:
            w.bind(param.name, None)
        w.child(node, node.params)
        w.child(node, node.body)

    w.in_scope(scope, body)


def _comprehension(w: Walker, node: cst.CSTNode) -> None:
    scope = Scope("comprehension", w.scope)
    ev_flows = dict(w.ev.flows.get(w.scope, {}))

    def body() -> None:
        w.ev.flows[scope].update(ev_flows)
        w.child(node, node.for_in)  # type: ignore[attr-defined]
        for name in ("elt", "key", "value"):
            w.child(node, getattr(node, name, None))

    w.in_scope(scope, body)


def _comp_for(w: Walker, node: cst.CompFor) -> None:
    w.child(node, node.iter)
    w.iteration(node.iter)
    w.bind(node.target, w.element(node.iter))
    w.child(node, node.target)
    w.child(node, node.ifs)
    w.child(node, node.inner_for_in)


_METACLASS_BASES = ("torch.autograd.Function", "torch.autograd.function.Function",
                    "torch.autograd.function.InplaceFunction")


def _annotation(w: Walker, node: cst.Annotation) -> None:
    """Annotations run when a `def` or a module/class-level `x: T = ...` runs, unless
    `from __future__ import annotations` (or inside a function body, where they never run)."""
    parent = w.parents.get(node)
    lazy = w.lazy_annotations or (isinstance(parent, cst.AnnAssign) and w.scope.kind == "function")
    w.quiet += lazy
    try:
        w.children(node)
    finally:
        w.quiet -= lazy


def _quietly(w: Walker, node: cst.CSTNode) -> None:
    """Imports are not uses (the names they bind are, where they are used)."""
    w.quiet += 1
    try:
        w.children(node)
    finally:
        w.quiet -= 1


_SPECIAL: dict[type, Callable[[Walker, cst.CSTNode], None]] = {
    cst.For: _for, cst.Assign: _assign, cst.AnnAssign: _ann_assign, cst.AugAssign: _aug_assign,
    cst.With: _with, cst.FunctionDef: _function, cst.ClassDef: _class, cst.Lambda: _lambda,
    cst.ListComp: _comprehension, cst.SetComp: _comprehension, cst.GeneratorExp: _comprehension,
    cst.DictComp: _comprehension, cst.CompFor: _comp_for, cst.Annotation: _annotation,
    cst.Import: _quietly, cst.ImportFrom: _quietly,
}  # type: ignore[dict-item]

_HOOKS: dict[type, Callable[[Walker, cst.CSTNode], None]] = {
    cst.Call: Walker.on_call, cst.Attribute: Walker.on_attribute, cst.BinaryOperation: Walker.on_operation,
    cst.UnaryOperation: Walker.on_operation, cst.Comparison: Walker.on_operation,
    cst.Subscript: Walker.on_subscript, cst.Decorator: Walker.on_decorator,
    cst.FormattedStringExpression: Walker.on_formatted,
}  # type: ignore[dict-item]

_TRIVIA_PREFIXES = ("whitespace", "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after",
                    "header", "footer", "trailing_whitespace", "newline", "lbracket", "rbracket", "lbrace",
                    "rbrace", "colon", "equal", "dot", "star", "asynchronous", "first_line", "empty_lines",
                    "indent", "last_line")


@functools.cache
def _is_node(kind: type) -> bool:
    """isinstance(x, CSTNode) is an ABC check (slow); a node's type decides it once."""
    return issubclass(kind, cst.CSTNode)


@functools.cache
def _fields(node_type: type) -> tuple[str, ...]:
    """The fields of a node type that hold child nodes worth walking (no whitespace, no punctuation)."""
    names = [f.name for f in dataclasses.fields(node_type)]
    return tuple(n for n in names if not n.startswith(_TRIVIA_PREFIXES))


def _derived(value: Value) -> str:
    return "inferred" if value.evidence == "resolved" else value.evidence


def _rule(value: Value) -> str:
    return "variable-name" if value.evidence == "heuristic" else "object-origin"


_OPERATORS = {
    cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "truediv", cst.FloorDivide: "floordiv",
    cst.Modulo: "mod", cst.Power: "pow", cst.MatrixMultiply: "matmul", cst.BitAnd: "and", cst.BitOr: "or",
    cst.BitXor: "xor", cst.LeftShift: "lshift", cst.RightShift: "rshift", cst.Minus: "neg", cst.Plus: "pos",
    cst.BitInvert: "invert", cst.LessThan: "lt", cst.GreaterThan: "gt", cst.LessThanEqual: "le",
    cst.GreaterThanEqual: "ge", cst.Equal: "eq", cst.NotEqual: "ne", cst.AddAssign: "add",
    cst.SubtractAssign: "sub", cst.MultiplyAssign: "mul", cst.DivideAssign: "truediv", cst.PowerAssign: "pow",
    cst.MatrixMultiplyAssign: "matmul", cst.FloorDivideAssign: "floordiv", cst.ModuloAssign: "mod",
}


def _dunder(node: cst.CSTNode) -> str:
    operator = getattr(node, "operator", None)
    if isinstance(node, cst.Comparison):
        operator = node.comparisons[0].operator
    return f"__{_OPERATORS.get(type(operator), 'op')}__"


def _string_index(node: cst.Subscript) -> bool:
    first = node.slice[0].slice if node.slice else None
    return isinstance(first, cst.Index) and isinstance(first.value, (cst.SimpleString, cst.FormattedString))


def _known_member(receiver: Value, fam: str, name: str) -> bool:
    """Whether `name` is torch's member when the receiver's exact class is not known."""
    if name.startswith("__"):
        return True
    exact = receiver.user_class is None and receiver.evidence != "heuristic" and receiver.qualname not in (
        values.MODULE, values.OPTIMIZER, values.SCHEDULER)
    if exact or fam == "tensor":
        return True
    members = {"module": roles.MODULE_MEMBERS, "optimizer": roles.OPTIMIZER_MEMBERS,
               "scheduler": roles.SCHEDULER_MEMBERS}.get(fam)
    return members is None or name in members


def _module_read(base: str, name: str, parent: cst.CSTNode | None) -> bool:
    """`torch.float32`, `nn.Linear` in isinstance: reading a member of a torch *module* (not a
    class, not a dunder) is a use; inner links of a longer chain are not (the outer one is)."""
    if name.startswith("__") or base.rsplit(".", 1)[-1][:1].isupper():
        return False
    return not isinstance(parent, cst.Attribute)


def _iterated_directly(parent: cst.CSTNode | None, node: cst.CSTNode) -> bool:
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node
