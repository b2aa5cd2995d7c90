"""Scopes and their bindings: what each name in a file may be bound to.

The declaration pass (`declare`) walks statements only — never expressions — and records,
per scope, every binding of every name: imports (as fully qualified dotted names),
assignments (the expression and where in an unpacking the name sits), loop targets,
parameters, classes and functions. Evaluating a binding is left to `evaluate.py`, lazily,
so that a name used before its assignment in source order (a global assigned under
`if __name__ == "__main__":` and used in a function above) still resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import libcst as cst


@dataclass(frozen=True)
class Imported:
    dotted: str  # "torch.nn", "torch.optim.SGD", "proj.models.Net"
    module: bool = False  # `import X` / `import X as Y` binds a module object (never a torch object unless X is torch)


@dataclass(frozen=True)
class Assigned:
    expr: cst.BaseExpression
    path: tuple[int, ...] = ()  # index path into an unpacking target: a, (b, c) = ... -> c is (1, 1)
    iterated: bool = False  # bound by `for target in expr`: the value is an element of expr
    annotation: cst.BaseExpression | None = None


@dataclass(frozen=True)
class Param:
    node: cst.Param
    function: FunctionInfo
    index: int


Binding = Union[Imported, Assigned, Param, "ClassInfo", "FunctionInfo", "StarImport", None]


@dataclass(frozen=True)
class StarImport:
    module: str  # "torch", "torch.nn"


class Scope:
    """A module, class, function, lambda or comprehension scope."""

    def __init__(self, kind: str, parent: Scope | None, owner: ClassInfo | FunctionInfo | None = None) -> None:
        self.kind = kind  # "module" | "class" | "function" | "lambda" | "comprehension"
        self.parent = parent
        self.owner = owner
        self.bindings: dict[str, list[Binding]] = {}
        self.star_imports: list[str] = []

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def enclosing(self) -> Scope | None:
        """The next scope a name is looked up in: class bodies are skipped from inside functions."""
        parent = self.parent
        while parent is not None and parent.kind == "class" and self.kind != "class":
            parent = parent.parent
        return parent


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: cst.ClassDef | None
    scope: Scope  # the scope the class statement is in (bases are evaluated there)
    key: str
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    attrs: dict[str, list[tuple[Assigned, Scope]]] = field(default_factory=dict)  # self.X = ... in methods
    body: Scope | None = None


@dataclass(eq=False)
class FunctionInfo:
    name: str
    node: cst.FunctionDef | cst.Lambda
    scope: Scope  # the function's own scope
    cls: ClassInfo | None  # the class it is a method of
    returns: list[cst.BaseExpression] = field(default_factory=list)
    is_static: bool = False


