"""What the child saw, kept small and written out so that nothing observed is lost.

Per line of user code: the roles used directly there, call counts, the first
few tensor descriptions and symbols. Full detail is kept for the first
DETAIL_EVENTS events of a line; after that an event only counts (and adds a
role if it is a new one), which keeps a 500-step loop cheap. The checks' facts
(readkit.check.workflow_facts) go to `facts`, capped per kind; errors of readkit's own
instrumentation go to `instrumentation_errors`, counted, so that none vanishes.

The snapshot is rewritten atomically (temp file + rename) by a daemon thread
every FLUSH_SECONDS while events arrive, and at exit, so a crash, `os._exit`, a timeout or a kill still leaves
everything observed up to the last flush.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from readkit.check.workflow_facts import Fact, encode

DETAIL_EVENTS = 16  # events per line recorded in full; later ones are only counted
MAX_SHAPES = 4
MAX_SYMBOLS = 6
MAX_FACTS_PER_KIND = 200
MAX_ERRORS = 50  # distinct instrumentation errors kept (each with its count)
MAX_LOSSES = 100_000
MAX_BUILT_SITES = 200  # places user modules are built, kept (readkit.check.modules)
FLUSH_SECONDS = 1.0


@dataclass
class LineStat:
    roles: set[str] = field(default_factory=set)
    calls: int = 0
    detail: int = 0
    shapes: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)


def describe_tensor(value: Any) -> str | None:
    """"float32[64, 10] cpu" for a tensor; the first tensor of a tuple/list; else None."""
    import torch

    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if not isinstance(value, torch.Tensor):
        return None
    with torch._C.DisableTorchFunction():  # readkit's reads: no mode or tensor subclass of the target's sees them
        dtype = str(value.dtype).removeprefix("torch.")
        return f"{dtype}[{', '.join(str(d) for d in value.shape)}] {value.device}"


@dataclass
class BuiltSite:
    """One place the target built instances of one of its own nn.Module classes (readkit.check.modules)."""

    cls: str  # the class's __qualname__
    class_path: str  # the file that defines it
    path: str  # where it was built
    line: int
    instances: int = 0
    parameters: int | None = None  # of the first instance counted; None while none was
    trainable: int | None = None  # of those, the ones with requires_grad

    def encode(self) -> dict[str, Any]:
        return {"class": self.cls, "class_path": self.class_path, "path": self.path, "line": self.line,
                "instances": self.instances, "parameters": self.parameters, "trainable": self.trainable}


class Recorder:
    def __init__(self, results_path: str) -> None:
        self.results_path = results_path
        self.pid = os.getpid()
        self.lines: dict[tuple[CodeType, int], LineStat] = {}
        self.covered: dict[CodeType, set[int]] = {}
        self.facts: dict[str, list[Fact]] = {}
        self.fact_counts: dict[str, int] = {}
        self.losses: list[float] = []
        self.failure: dict[str, Any] | None = None
        self.exit_code: int | None = None
        self.notes: list[str] = []
        self.training = {"backwards": 0, "steps": 0}  # backward passes, optimizer steps and manual updates
        self.torch_names: dict[str, Any] = {}  # readkit.check.torchnames, written at exit
        self.errors: dict[str, int] = {}  # "where: Type: message" -> how many times
        self.built: dict[tuple[str, str, str, int], BuiltSite] = {}  # (class, its file, path, line) -> site
        self._events = 0
        self._lock = threading.Lock()

    # -- recording ------------------------------------------------------------

    def use(self, code: CodeType, line: int, qualname: str, role: str | None, result: Any = None,
            count: bool = True) -> bool:
        """One direct torch use on a user line; True while the line still wants full detail."""
        stat = self.lines.get((code, line))
        if stat is None:
            stat = self.lines[(code, line)] = LineStat()
        if count:
            stat.calls += 1
        if role is not None:
            stat.roles.add(role)
        self._tick()
        if stat.detail >= DETAIL_EVENTS:
            return False
        stat.detail += 1
        if qualname not in stat.symbols and len(stat.symbols) < MAX_SYMBOLS:
            stat.symbols.append(qualname)
        if result is not None:
            self.shape(stat, result)
        return True

    def shape_at(self, code: CodeType, line: int, result: Any) -> None:
        stat = self.lines.get((code, line))
        if stat is not None:
            self.shape(stat, result)

    @staticmethod
    def shape(stat: LineStat, result: Any) -> None:
        if len(stat.shapes) >= MAX_SHAPES:
            return
        text = describe_tensor(result)
        if text is not None and text not in stat.shapes:
            stat.shapes.append(text)

    def cover(self, code: CodeType, line: int) -> None:
        lines = self.covered.get(code)
        if lines is None:
            lines = self.covered[code] = set()
        lines.add(line)

    def fact(self, fact: Fact) -> None:
        """A fact for the checks; the first MAX_FACTS_PER_KIND of a kind are kept."""
        self.fact_counts[fact.kind] = self.fact_counts.get(fact.kind, 0) + 1
        kept = self.facts.setdefault(fact.kind, [])
        if len(kept) < MAX_FACTS_PER_KIND:
            kept.append(fact)
        self._tick()

    def withdraw(self, fact: Fact) -> None:
        kept = self.facts.get(fact.kind, [])
        if fact in kept:
            kept.remove(fact)
            self.fact_counts[fact.kind] -= 1
            self._tick()

    def instrumentation_error(self, where: str, error: BaseException) -> None:
        """readkit's own observation failed (the target went on unaffected): kept for the report."""
        message = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        key = f"{where}: {type(error).__name__}" + (f": {message}" if message else "")
        if key in self.errors or len(self.errors) < MAX_ERRORS:
            self.errors[key] = self.errors.get(key, 0) + 1
            self._tick()

    def built_site(self, cls: str, class_path: str, path: str, line: int) -> BuiltSite | None:
        """The record of a place user modules are built (None past MAX_BUILT_SITES places)."""
        key = (cls, class_path, path, line)
        site = self.built.get(key)
        if site is None and len(self.built) < MAX_BUILT_SITES:
            site = self.built[key] = BuiltSite(cls, class_path, path, line)
            self._tick()
        return site

    def loss(self, value: float) -> None:
        if len(self.losses) < MAX_LOSSES:
            self.losses.append(value)

    # -- writing --------------------------------------------------------------

    def _tick(self) -> None:
        self._events += 1

    def start_flushing(self) -> None:
        """A daemon thread rewrites the results every FLUSH_SECONDS while something new was seen,
        so that a target idling before os._exit or a SIGKILL still leaves its observations."""

        def loop() -> None:
            sys.settrace(None)
            flushed = -1
            while True:
                time.sleep(FLUSH_SECONDS)
                if self._events != flushed:
                    flushed = self._events
                    try:
                        self.flush()
                    except (RuntimeError, OSError):  # a dict resized mid-copy: next round
                        flushed = -1

        threading.Thread(target=loop, name="readkit-flush", daemon=True).start()

    def covered_files(self) -> list[str]:
        return sorted({code.co_filename for code in list(self.covered)})

    def snapshot(self) -> dict[str, Any]:
        lines: dict[tuple[str, int], dict[str, Any]] = {}
        for (code, line), stat in list(self.lines.items()):
            entry = lines.setdefault((code.co_filename, line), {"path": code.co_filename, "line": line,
                                                                  "roles": [], "calls": 0, "shapes": [], "symbols": []})
            entry["roles"] = sorted(set(entry["roles"]) | stat.roles)
            entry["calls"] += stat.calls
            _extend_unique(entry["shapes"], stat.shapes, MAX_SHAPES)
            _extend_unique(entry["symbols"], stat.symbols, MAX_SYMBOLS)
        covered: dict[str, set[int]] = {}
        for code, numbers in list(self.covered.items()):
            covered.setdefault(code.co_filename, set()).update(numbers)
        return {"lines": list(lines.values()), "covered": {p: sorted(n) for p, n in covered.items()},
                "facts": {kind: [encode(f) for f in facts] for kind, facts in list(self.facts.items())},
                "fact_counts": self.fact_counts, "losses": self.losses,
                "failure": self.failure, "exit_code": self.exit_code, "notes": self.notes,
                "torch_names": self.torch_names, "training": dict(self.training),
                "modules": [site.encode() for site in list(self.built.values())],
                "instrumentation_errors": [f"{key} (x{count})" if count > 1 else key
                                           for key, count in list(self.errors.items())]}

    def flush(self) -> None:
        """Atomically rewrite the results file (only from the target's own process, not forks)."""
        if os.getpid() != self.pid:
            return
        with self._lock:
            temporary = f"{self.results_path}.{self.pid}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(self.snapshot(), handle, default=_jsonable)
            os.replace(temporary, self.results_path)


def _extend_unique(target: list[str], items: list[str], limit: int) -> None:
    for item in items:
        if item not in target and len(target) < limit:
            target.append(item)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(value)
