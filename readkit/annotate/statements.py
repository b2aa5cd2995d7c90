"""Statements that bind names or open scopes, walked in the order Python runs them:
`x = f(y)` walks `f(y)` before binding `x`; `for t in it` walks `it`, notes the iteration,
then binds `t`; functions, classes, lambdas and comprehensions get their own scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from readkit.annotate import containers, values
from readkit.annotate.origins import agree_or_tensor
from readkit.annotate.protocols import derived, rule_of
from readkit.annotate.scopes import Scope
from readkit.annotate.uses import dunder
from readkit.annotate.values import Kind, Value

if TYPE_CHECKING:
    from readkit.annotate.walker import Walker

def for_statement(w: Walker, node: cst.For) -> None:
    w.child(node, node.iter)
    w.iteration(node.iter)
    w.bind(node.target, w.element(node.iter))
    w.child(node, node.target)
    w.child(node, node.body)
    w.child(node, node.orelse)


def assign(w: Walker, node: cst.Assign) -> None:
    w.child(node, node.value)
    found = w.value(node.value)
    first = node.targets[0].target
    if isinstance(node.value, cst.List) and not node.value.elements and isinstance(first, cst.Name):
        found = containers.appended(first.value, w.scope, w.ev.declarer.calls.get(".append", []),
                                    lambda e, s: w.ev.value(e, s, flow=False)) or found
    elif containers.empty_dict(node.value) and isinstance(first, cst.Name):
        found = containers.stored(first.value, w.scope, w.ev.declarer.stores.get(first.value, []),
                                  lambda e, s: w.ev.value(e, s, flow=False)) or found
    for target in node.targets:
        w.bind(target.target, found)
        _store(w, target.target)
        w.child(node, target)


def ann_assign(w: Walker, node: cst.AnnAssign) -> None:
    if node.value is not None:
        w.child(node, node.value)
        hinted = w.ev.from_annotation(node.annotation.annotation, w.scope)
        w.bind(node.target, hinted or w.value(node.value))
    w.child(node, node.target)
    w.child(node, node.annotation)


def aug_assign(w: Walker, node: cst.AugAssign) -> None:
    w.child(node, node.value)
    w.child(node, node.target)
    found = [w.value(node.target), w.value(node.value)]
    tensors = [v for v in found if v is not None and v.kind is Kind.OBJ and values.family(v.qualname) == "tensor"]
    if tensors:
        w.add(node, f"torch.Tensor.__i{dunder(node)[2:]}", derived(tensors[0]), "object-origin")
        w.bind(node.target, values.tensor(derived(tensors[0])))


def _store(w: Walker, target: cst.BaseExpression) -> None:
    """`x[i] = v` on a tensor and `p.grad = None` are uses too (also inside `a, x[i] = ...`)."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _store(w, element.value)
    elif isinstance(target, cst.Subscript):
        w.on_subscript(target, store=True)
        w._called.add(target)
    elif isinstance(target, cst.Attribute):
        receiver = w.value(target.value)
        if receiver is not None and receiver.kind is Kind.OBJ and values.family(receiver.qualname) == "tensor":
            w.object_member(target, receiver, target.attr.value, called=False)
        elif receiver is not None and receiver.kind is Kind.REF and not target.attr.value.startswith("__"):
            w.add(target, f"{receiver.qualname}.{target.attr.value}", receiver.evidence, "import-resolution")
        w._called.add(target)


def with_statement(w: Walker, node: cst.With) -> None:
    for item in node.items:
        w.child(node, item)
        if item.asname is not None:
            w.bind(item.asname.name, None)
    w.child(node, node.body)


def function_def(w: Walker, node: cst.FunctionDef) -> None:
    w.child(node, node.decorators)
    w.child(node, node.params)
    w.child(node, node.returns)
    w.ev.forget_flow(w.scope, node.name.value)
    scope = w.scopes.get(node)
    if scope is None:
        return
    w.in_scope(scope, lambda: w.child(node, node.body))


def class_def(w: Walker, node: cst.ClassDef) -> None:
    w.child(node, node.decorators)
    for arg in node.bases:
        w.child(node, arg)  # `nn.Module` is read from a torch module: on_attribute marks it
        base = w.value(arg.value)
        if base is not None and base.kind in (Kind.REF, Kind.CLASS) and base.qualname.startswith(_METACLASS_BASES):
            # autograd.Function's metaclass runs torch code when the class statement runs
            w.add(arg.value, f"{base.qualname}", derived(base), rule_of(base))
    w.child(node, node.keywords)
    w.ev.forget_flow(w.scope, node.name.value)
    scope = w.scopes.get(node)
    if scope is not None:
        w.in_scope(scope, lambda: w.child(node, node.body))


def lambda_expr(w: Walker, node: cst.Lambda) -> None:
    scope = Scope("lambda", w.scope)
    mapped = _mapped_element(w, node)
    passed = _call_site_arguments(w, node)

    def body() -> None:
        for index, param in enumerate(node.params.params):
            w.bind(param.name, mapped if index == 0 and mapped is not None else passed.get(index))
        w.child(node, node.params)
        w.child(node, node.body)

    w.in_scope(scope, body)


def _mapped_element(w: Walker, node: cst.Lambda) -> Value | None:
    """`map(lambda p: p.abs(), net.parameters())`: the lambda's parameter is an element."""
    arg = w.parents.get(node)
    call = w.parents.get(arg) if arg is not None else None
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in ("map", "filter")
            and len(call.args) >= 2 and call.args[0] is arg and w.ev.lookup(call.func.value, w.scope) is None):
        return None
    return w.element(call.args[1].value)


def _call_site_arguments(w: Walker, node: cst.Lambda) -> dict[int, Value | None]:
    """`square = lambda v: v * v` called as `square(t)`: its parameters are what the file passes."""
    assign = w.parents.get(node)
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and
            isinstance(assign.targets[0].target, cst.Name)):
        return {}
    name = assign.targets[0].target.value
    sites = w.ev.declarer.calls.get(name, [])
    if len(w.scope.bindings.get(name, ())) != 1 or not sites or any(
            a.star or a.keyword is not None for call, _ in sites for a in call.args):
        return {}
    return {index: agree_or_tensor([w.ev.value(call.args[index].value, scope, flow=False) if index < len(call.args) else None
                          for call, scope in sites]) for index in range(len(node.params.params))}


def comprehension(w: Walker, node: cst.CSTNode) -> None:
    scope = Scope("comprehension", w.scope)
    outer_flow = dict(w.ev.flows.get(w.scope, {}))

    def body() -> None:
        w.ev.open_flow(scope, outer_flow)  # the comprehension sees what its scope has assigned so far
        w.child(node, node.for_in)  # type: ignore[attr-defined]  # every comprehension node libcst makes has for_in
        for name in ("elt", "key", "value"):
            w.child(node, getattr(node, name, None))

    w.in_scope(scope, body)


def comp_for(w: Walker, node: cst.CompFor) -> None:
    w.child(node, node.iter)
    w.iteration(node.iter)
    w.bind(node.target, w.element(node.iter))
    w.child(node, node.target)
    w.child(node, node.ifs)
    w.child(node, node.inner_for_in)


_METACLASS_BASES = ("torch.autograd.Function", "torch.autograd.function.Function",
                    "torch.autograd.function.InplaceFunction")


def annotation_node(w: Walker, node: cst.Annotation) -> None:
    """Annotations run when a `def` or a module/class-level `x: T = ...` runs, unless
    `from __future__ import annotations` (or inside a function body, where they never run)."""
    parent = w.parents.get(node)
    lazy = w.lazy_annotations or (isinstance(parent, cst.AnnAssign) and w.scope.kind == "function")
    w.quiet += lazy
    try:
        w.children(node)
    finally:
        w.quiet -= lazy


def quietly(w: Walker, node: cst.CSTNode) -> None:
    """Imports are not uses (the names they bind are, where they are used)."""
    w.quiet += 1
    try:
        w.children(node)
    finally:
        w.quiet -= 1
