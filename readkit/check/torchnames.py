"""What the torch names in the target's files denote, described by the child so readkit's own process
never imports torch to reconcile.

Reconciliation asks of an annotation's symbol (`torch.nn.Module`, `torch.float32`,
`torch.optim.SGD.param_groups`) whether it exists and whether it is a class, a module, a
constant or a descriptor: things no hook can observe. Importing torch in readkit's process
for that costs more than a second; the child has torch loaded anyway. At exit it walks torch
from `torch` along attribute names that occur in the target's covered files (every part of a
symbol the annotator can produce occurs in the source it read) and writes what each reachable
name is. `NameKinds` answers from that table, and falls back to importing torch for a symbol the
table cannot decide (a name outside the walk).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MODULE, CLASS, TENSOR_CLASS, DESCRIPTOR, CALLABLE, DATA = "module", "class", "tensor-class", "descriptor", \
    "callable", "data"
MISSING: str = "missing"
MAX_DEPTH = 5
_ABSENT = object()
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def kind_of(value: Any) -> str:
    import torch

    if isinstance(value, type):
        return TENSOR_CLASS if issubclass(value, torch.Tensor) or value is torch._C.TensorBase else CLASS
    if type(value).__name__ == "module":
        return MODULE
    if type(value).__name__ in ("getset_descriptor", "property", "member_descriptor"):
        return DESCRIPTOR
    return CALLABLE if callable(value) else DATA


def describe_names(files: list[str]) -> dict[str, Any]:
    """{"kinds": {qualified name: kind}, "walked": [containers whose every source-named attribute is in
    kinds]}, for the torch names the target's `files` can refer to (in the child, torch loaded)."""
    import torch

    words: set[str] = set()
    for name in files:
        try:
            words.update(_IDENTIFIER.findall(Path(name).read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    kinds: dict[str, str] = {"torch": MODULE}
    walked: list[str] = []
    pending: list[tuple[str, Any, int]] = [("torch", torch, 0)]
    while pending:
        prefix, container, depth = pending.pop()
        walked.append(prefix)
        for word in sorted(words):
            value = _attribute(container, word)
            if value is _ABSENT:
                continue
            name = f"{prefix}.{word}"
            if name in kinds:
                continue
            kinds[name] = kind_of(value)
            if kinds[name] in (MODULE, CLASS, TENSOR_CLASS) and depth + 1 < MAX_DEPTH and _of_torch(value):
                pending.append((name, value, depth + 1))
    return {"kinds": kinds, "walked": walked}


def _attribute(container: Any, word: str) -> Any:
    """An attribute already there: a module's own (never its lazy `__getattr__`, which would import
    torch.onnx at exit because a comment says "onnx"); a class's, through its MRO."""
    if word.startswith("__"):
        return _ABSENT
    if type(container).__name__ == "module":
        return vars(container).get(word, _ABSENT)
    return getattr(container, word, _ABSENT)


def _of_torch(value: Any) -> bool:
    """A module or class of torch's own (torch.sys and friends are not walked)."""
    owner = getattr(value, "__name__", "") if type(value).__name__ == "module" else getattr(value, "__module__", "")
    return isinstance(owner, str) and (owner == "torch" or owner.startswith("torch."))


class NameKinds:
    """Kinds of torch names: from the child's table, else from torch itself (imported on first need)."""

    def __init__(self, table: object = None) -> None:
        table = table if isinstance(table, dict) else {}
        kinds = table.get("kinds", {})
        self.kinds: dict[str, str] = dict(kinds) if isinstance(kinds, dict) else {}
        self.walked: set[str] = set(table.get("walked", []) or [])
        self.imported_torch = False

    def kind(self, symbol: str) -> str:
        """The kind of `symbol`, or MISSING when torch has no such attribute."""
        if symbol in self.kinds:
            return self.kinds[symbol]
        owner = symbol.rpartition(".")[0]
        if owner in self.walked:
            return MISSING  # the walk tried every source-named attribute of `owner`: it has none by that name
        return self._from_torch(symbol)

    def _from_torch(self, symbol: str) -> str:
        import torch  # readkit's own lookup of a torch name; no target code runs here

        self.imported_torch = True
        value: Any = torch
        absent = object()
        for part in symbol.split(".")[1:]:
            value = getattr(value, part, absent)
            if value is absent:
                self.kinds[symbol] = MISSING
                return MISSING
        self.kinds[symbol] = kind_of(value)
        return self.kinds[symbol]
