"""What containers hold: the modules given to nn.Sequential/ModuleList/ModuleDict and the values
of dict displays (`MODELS = {"mlp": MLP, "cnn": CNN}`), so that indexing or iterating them
keeps the origin (`model.h[0].attn`, `MODELS[name](...)`); and members looked up at run time
(`getattr(optim, cfg["opt"])`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import libcst as cst

from readkit.annotate import heuristics, values
from readkit.annotate.declare import DYNAMIC_ATTRIBUTE
from readkit.annotate.origins import PLAIN, agree
from readkit.annotate.scopes import Scope
from readkit.annotate.values import Kind, Value

Evaluate = Callable[[cst.BaseExpression], "Value | None"]


def same_items(found: list[Value | None]) -> Value | None:
    """The one kind of value all items are; a user class only when every item has the same one."""
    agreed = agree(found)
    if agreed is None or agreed.user_class is None:
        return agreed
    if any(v is not None and v.user_class != agreed.user_class for v in found):
        generic = values.MODULE if values.family(agreed.qualname) == "module" else agreed.qualname
        return replace(agreed, qualname=generic, user_class=None)
    return agreed


def refine(result: Value | None, node: cst.Call, evaluate: Evaluate) -> Value | None:
    """What a call's value is, told apart by its arguments: containers remember their elements,
    a DataLoader its dataset (for `len(loader.dataset)`); torch.jit.script/trace of a function
    (not a module) gives a ScriptFunction."""
    if result is not None and result.kind is Kind.OBJ and values.family(result.qualname) == "loader" and node.args:
        return replace(result, items=(evaluate(node.args[0].value),))
    if result is not None and result.qualname == values.SCRIPT_MODULE and node.args:
        first = evaluate(node.args[0].value)
        if first is not None and first.kind is Kind.FUNC:
            return replace(result, qualname=values.SCRIPT_FUNCTION)
    return with_items(result, node, evaluate)


def with_items(result: Value | None, node: cst.Call, evaluate: Evaluate) -> Value | None:
    """`nn.ModuleList([Block() ...])`: the container remembers what its elements are."""
    if result is None or result.kind is not Kind.OBJ or result.user_class is not None or result.items:
        return result
    if result.qualname.rsplit(".", 1)[-1] not in heuristics.INDEXABLE_MODULES or not node.args:
        return result
    element = same_items([_element(arg, evaluate) for arg in node.args if arg.keyword is None])
    if element is None or element.kind is not Kind.OBJ or values.family(element.qualname) != "module":
        return result  # seq.to(device), not a construction from modules
    return replace(result, items=(element,))


def _element(arg: cst.Arg, evaluate: Evaluate) -> Value | None:
    expr = arg.value
    if arg.star == "*" or isinstance(expr, (cst.List, cst.Tuple, cst.Dict, cst.ListComp, cst.GeneratorExp,
                                            cst.DictComp)):
        return _element_of_display(expr, evaluate)
    return evaluate(expr)


def _element_of_display(expr: cst.BaseExpression, evaluate: Evaluate) -> Value | None:
    if isinstance(expr, (cst.List, cst.Tuple)):
        return same_items([None if isinstance(e, cst.StarredElement) else evaluate(e.value) for e in expr.elements])
    if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
        return evaluate(expr.elt)
    if isinstance(expr, cst.DictComp):
        return evaluate(expr.value)
    if isinstance(expr, cst.Dict):
        return dict_values(expr, evaluate)
    found = evaluate(expr)  # nn.Sequential(*layers)
    if found is not None and found.kind is Kind.TUPLE:
        return same_items(list(found.items))
    return None


def as_class(found: Value | None) -> Value | None:
    """A torch class named in a display (`{"linear": nn.Linear, "mlp": MLP}`) is a class like the user's."""
    if found is not None and found.kind is Kind.REF and found.qualname.rsplit(".", 1)[-1][:1].isupper() and \
            values.family(found.qualname) != "other":
        return Value(Kind.CLASS, found.qualname, found.evidence)
    return found


def dict_values(node: cst.Dict, evaluate: Evaluate) -> Value | None:
    found: list[Value | None] = [as_class(evaluate(e.value)) if isinstance(e, cst.DictElement) else None
                                 for e in node.elements]
    agreed = same_items(found) if found else None
    return agreed if agreed is not None and agreed != PLAIN and agreed.kind in (Kind.CLASS, Kind.OBJ) else None


def dict_display(node: cst.Dict, evaluate: Evaluate) -> Value:
    """`{"mlp": MLP, "cnn": CNN}`: a dict whose values are all one kind of torch value; else a plain dict."""
    held = dict_values(node, evaluate)
    if held is None or held.qualname == values.PLAIN_OBJECT:
        return PLAIN
    return Value(Kind.BATCH, "dict", "inferred", items=(None, held))


def getattr_value(node: cst.Call, evaluate: Evaluate,
                  own_attribute: Callable[[str, str], "Value | None"]) -> Value | None:
    """getattr(optim, "Adam") is torch.optim.Adam; getattr(nn, rnn_type) some torch.nn name;
    getattr(self, "layer%d" % i) what the class set with setattr(self, "layer%d" % i, ...)."""
    owner = evaluate(node.args[0].value)
    name = node.args[1].value
    literal = name.evaluated_value if isinstance(name, cst.SimpleString) else None
    if owner is not None and owner.kind is Kind.OBJ and owner.user_class is not None and len(node.args) == 2:
        return own_attribute(owner.user_class, literal if isinstance(literal, str) else DYNAMIC_ATTRIBUTE)
    if owner is None or owner.kind is not Kind.REF or not owner.qualname.startswith("torch"):
        return None
    member = literal if isinstance(literal, str) else values.DYNAMIC
    return Value(Kind.REF, f"{owner.qualname}.{member}", "inferred")


def appended(name: str, scope: Scope, sites: list[tuple[cst.Call, Scope]],
             value_at: Callable[[cst.BaseExpression, Scope], "Value | None"]) -> Value | None:
    """`handles = []` filled by `handles.append(m.register_forward_hook(f))`: a list of what is appended."""
    found = [value_at(call.args[0].value, site) for call, site in sites
             if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
             and call.func.value.value == name and len(call.args) == 1 and _binder(site, name) is scope]
    element = same_items(found) if found else None
    return Value(Kind.TUPLE, "list", "inferred", items=(element,)) if element is not None else None


def empty_dict(expr: cst.BaseExpression) -> bool:
    """`{}`, `dict()`, `OrderedDict()`, `collections.OrderedDict()`."""
    if isinstance(expr, cst.Dict):
        return not expr.elements
    func = expr.func if isinstance(expr, cst.Call) and not expr.args else None
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in ("dict", "OrderedDict")


def stored(name: str, scope: Scope, stores: list[tuple[cst.BaseExpression, Scope]],
           value_at: Callable[[cst.BaseExpression, Scope], "Value | None"]) -> Value | None:
    """`features = {}` filled by `features[name] = out.detach()`: a dict of what is stored."""
    found = [value_at(expr, site) for expr, site in stores if _binder(site, name) is scope]
    element = same_items(found) if found else None
    return Value(Kind.BATCH, "dict", "inferred", items=(None, element)) if element is not None else None


def _binder(scope: Scope | None, name: str) -> Scope | None:
    while scope is not None and name not in scope.bindings:
        scope = scope.enclosing()
    return scope


def held(element: Value, evidence: str, pairs: bool) -> Value:
    """`d.items()` / `d.values()` of a dict holding `element`s."""
    if element.kind is Kind.OBJ and values.family(element.qualname) == "tensor":
        tensor = values.tensor(evidence)
        return Value(Kind.BATCH, values.TENSOR, evidence, items=(None, tensor) if pairs else ())
    return Value(Kind.TUPLE, "list", evidence, items=(Value(Kind.TUPLE, "tuple", evidence, items=(None, element)),)
                 if pairs else (element,))
