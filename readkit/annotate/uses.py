"""The one batched walk: every node once, in source order; PyTorch uses become `Use`s and
each legacy rule's `visit_<NodeType>` is called on the way.

What counts as a use (the roles of torch APIs a line's own code calls directly): calls of
torch names, members of torch objects (`opt.step()`, `x.grad`), calls of module instances,
operators and indexing on tensors, iterating loaders/tensors/module lists, torch decorators
and torch class bases. Passing a torch name as a value (`dtype=torch.float32`) is not a use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from readkit import roles
from readkit.annotate import heuristics, values
from readkit.annotate.evaluate import Evaluator, element_of, tensor_operands
from readkit.annotate.origins import PLAIN_MODULE
from readkit.annotate.protocols import BUILTIN_PROTOCOLS, ProtocolUses, derived, rule_of
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
PASS_THROUGH = frozenset({"enumerate", "tqdm", "zip", "iter", "reversed", "list", "tuple", "sorted", "trange"})

class UseRecorder(ProtocolUses):
    """The uses: what each kind of node does with torch (the walk in walk.py calls these hooks)."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator
        self.uses: list[Use] = []
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.scope: Scope = Scope("module", None)
        self._called: set[cst.CSTNode] = set()  # func nodes of calls: not attribute reads
        self.quiet = 0  # > 0 inside imports and type annotations that never run: no use
        self.lazy_annotations = False  # `from __future__ import annotations`

    # ------------------------------------------------------------------ recording

    def add(self, node: cst.CSTNode, symbol: str, evidence: str, rule: str) -> None:
        role = roles.role_for(symbol)
        if role is not None and not self.quiet:
            self.uses.append(Use(node, role, evidence, symbol, rule))

    def value(self, expr: cst.BaseExpression) -> Value | None:
        return self.ev.value(expr, self.scope)

    # ------------------------------------------------------------------ uses

    def on_call(self, node: cst.Call) -> None:
        func = node.func
        self._called.add(func)
        self.parents[func] = node  # set before the walk reaches it: member() looks at the call
        callee = self.value(func)
        if callee is not None and callee.kind is Kind.OBJ and values.family(callee.qualname) == "module":
            self.add(node, "torch.nn.Module.__call__", derived(callee), rule_of(callee))
        elif isinstance(func, cst.Attribute) and func.attr.value == "format" and isinstance(
                func.value, (cst.SimpleString, cst.ConcatenatedString)):
            self.formatting(node, [a.value for a in node.args])
        elif callee is not None and callee.kind is Kind.OBJ and _callable_object(callee):
            self.add(node, _call_symbol(callee), derived(callee), rule_of(callee))
        elif callee is not None and callee.kind is Kind.CLASS and callee.qualname != values.PLAIN_OBJECT:
            self.add(node, callee.qualname, "inferred", "object-origin")  # model = Net(): a torch object is made
        elif callee == PLAIN_MODULE:
            self.foreign(node)
        elif isinstance(func, cst.Name) and func.value == "getattr" and self.ev.lookup("getattr", self.scope) is None:
            self.dynamic_member(node)
        elif isinstance(func, cst.Attribute):
            self.member(func, self.value(func.value), func.attr.value, called=True)
        elif callee is not None and callee.kind is Kind.REF:
            self.add(node, callee.qualname, callee.evidence, "import-resolution")
        elif isinstance(func, cst.Name) and func.value in BUILTIN_PROTOCOLS and self.ev.lookup(func.value, self.scope) is None:
            self.builtin(node, func.value)

        self.iteration_of_pass_through(node)

    def dynamic_member(self, node: cst.Call) -> None:
        """getattr(optim, cfg["opt"]): reading a member of a torch module, chosen at run time."""
        found = self.value(node)
        if found is not None and found.kind is Kind.REF and found.qualname != f"torch.{values.DYNAMIC}":
            self.add(node, found.qualname, found.evidence, "import-resolution")

    def member(self, node: cst.Attribute, receiver: Value | None, name: str, called: bool) -> None:
        if receiver is None:
            self.unknown_member(node, name, called)
        elif receiver.kind is Kind.REF:
            if called or _module_read(receiver.qualname, name, self.parents.get(node)):
                self.add(node, f"{receiver.qualname}.{name}", receiver.evidence, "import-resolution")
        elif receiver.kind is Kind.CLASS:
            if called and not self.ev.defines(receiver.user_class, name) and _class_member(receiver, name):
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
                self.add(node, f"{CTX}.{name}", derived(receiver), rule_of(receiver))
            return
        fam = values.family(receiver.qualname)
        if not called and not (fam == "tensor" and name in TENSOR_READS) and not (
                fam == "optimizer" and name in ("param_groups", "state", "defaults")) and not values.jit_property(
                receiver.qualname, name):
            return
        if not _known_member(receiver, fam, name):
            return
        if fam == "other" and receiver.qualname.startswith("torch.autograd.function"):
            self.add(node, f"torch.autograd.function.FunctionCtx.{name}", derived(receiver), rule_of(receiver))
            return
        self.add(node, values.member_symbol(receiver, name), derived(receiver), rule_of(receiver))

    def unknown_member(self, node: cst.Attribute, name: str, called: bool) -> None:
        receiver_name = node.value.value if isinstance(node.value, cst.Name) else None
        guessed = heuristics.value_from_name(receiver_name) if receiver_name else None
        if guessed is not None and (called or name in HEURISTIC_READS):
            self.object_member(node, guessed, name, called)
            return
        call = self.parents.get(node)
        if called and isinstance(call, cst.Call) and self.ev.non_torch_argument(call, self.scope):
            return  # x.view(np.uint32): numpy's method, not torch's
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
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            self.truth_test(node.expression)
            return
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo) and isinstance(
                node.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self.formatting(node, [node.right])
            return
        found = [self.value(o) for o in tensor_operands(node)]
        tensors = [v for v in found if v is not None and v.kind is Kind.OBJ and values.family(v.qualname) == "tensor"]
        if tensors:
            evidence = "heuristic" if all(v.evidence == "heuristic" for v in tensors) else "inferred"
            self.add(node, f"torch.Tensor.{dunder(node)}", evidence, "object-origin")

    def on_subscript(self, node: cst.Subscript, *, store: bool = False) -> None:
        """`x[i]` reads (`__getitem__`); as an assignment target, `x[i] = v` writes (`__setitem__`)."""
        if not store and node in self._called:
            return  # a target, recorded as the write it is
        base = self.value(node.value)
        if base is None or base.kind is not Kind.OBJ:
            return
        fam = values.family(base.qualname)
        if fam == "tensor" and not _string_index(node):
            self.add(node, f"torch.Tensor.{'__setitem__' if store else '__getitem__'}", derived(base), rule_of(base))
        elif base.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES or (
                base.qualname.startswith("torch.utils.data.") and base.user_class is None):
            self.add(node, f"{base.qualname}.__getitem__", derived(base), rule_of(base))

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
            self.add(iterable, "torch.utils.data.DataLoader.__iter__", derived(found), rule_of(found))
        elif fam == "tensor":
            self.add(iterable, "torch.Tensor.__iter__", derived(found), rule_of(found))
        elif last in heuristics.INDEXABLE_MODULES:
            self.add(iterable, f"{found.qualname}.__iter__", derived(found), rule_of(found))

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


_OPERATORS = {
    cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "truediv", cst.FloorDivide: "floordiv",
    cst.Modulo: "mod", cst.Power: "pow", cst.MatrixMultiply: "matmul", cst.BitAnd: "and", cst.BitOr: "or",
    cst.BitXor: "xor", cst.LeftShift: "lshift", cst.RightShift: "rshift", cst.Minus: "neg", cst.Plus: "pos",
    cst.BitInvert: "invert", cst.LessThan: "lt", cst.GreaterThan: "gt", cst.LessThanEqual: "le",
    cst.GreaterThanEqual: "ge", cst.Equal: "eq", cst.NotEqual: "ne", cst.AddAssign: "add",
    cst.SubtractAssign: "sub", cst.MultiplyAssign: "mul", cst.DivideAssign: "truediv", cst.PowerAssign: "pow",
    cst.MatrixMultiplyAssign: "matmul", cst.FloorDivideAssign: "floordiv", cst.ModuloAssign: "mod",
}


def _class_member(cls: Value, name: str) -> bool:
    """A class from a registry (`{"mlp": MLP, "linear": nn.Linear}`): only real members of its torch base."""
    return cls.user_class is not None or values.family(cls.qualname) != "module" or name in roles.MODULE_MEMBERS


def _callable_object(callee: Value) -> bool:
    """Objects whose call runs torch code: scripted/traced/exported programs, Function instances."""
    return values.is_jit(callee.qualname) or callee.qualname.startswith("torch.autograd.Function")


def _call_symbol(callee: Value) -> str:
    if callee.qualname.startswith("torch.autograd.Function"):
        return "torch.autograd.Function.__call__"
    if callee.qualname == values.SCRIPT_MODULE:  # a ScriptModule is an nn.Module: its call is Module.__call__
        return "torch.nn.Module.__call__"
    return f"{callee.qualname}.__call__"


def dunder(node: cst.CSTNode) -> str:
    operator = getattr(node, "operator", None)
    if isinstance(node, cst.Comparison):
        operator = node.comparisons[0].operator
    name: str = _OPERATORS.get(type(operator), "op")  # type: ignore[call-overload]  # the table is keyed by libcst operator classes
    return f"__{name}__"


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
               "scheduler": roles.SCHEDULER_MEMBERS, "loader": frozenset()}.get(fam)  # a loader's methods: none used
    return members is None or name in members


def _module_read(base: str, name: str, parent: cst.CSTNode | None) -> bool:
    """`torch.float32`, `nn.Linear` in isinstance: reading a member of a torch *module* (not a
    class, not a dunder) is a use; inner links of a longer chain are not (the outer one is)."""
    if name.startswith("__") or base.rsplit(".", 1)[-1][:1].isupper():
        return False
    return not isinstance(parent, cst.Attribute)


def _iterated_directly(parent: cst.CSTNode | None, node: cst.CSTNode) -> bool:
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node
