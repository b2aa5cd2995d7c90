"""What arrived on the results channel, parsed and checked before anything reads it.

The target can write to its own descriptors, so the snapshot is untrusted
input: every field the result is built from is checked for its type here, and
anything else is an UnreadableResults with the reason (the run is then reported
as "the run's results could not be read: ..."), never a KeyError three calls
later. Keys readkit does not know are ignored; missing ones are empty.
The facts' own fields belong to the checks that read them (session.py guards
that step).
"""

from __future__ import annotations

import json
from typing import Any, Callable

Validator = Callable[[Any], bool]


class UnreadableResults(ValueError):
    """The snapshot is not what the child writes (not JSON, wrong shape or types)."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _list_of(item: Validator) -> Validator:
    return lambda value: isinstance(value, list) and all(item(v) for v in value)


def _dict_of(item: Validator) -> Validator:
    return lambda value: isinstance(value, dict) and all(isinstance(k, str) and item(v) for k, v in value.items())


def _optional(item: Validator) -> Validator:
    return lambda value: value is None or item(value)


def _record(fields: dict[str, Validator], required: tuple[str, ...]) -> Validator:
    def check(value: Any) -> bool:
        return (isinstance(value, dict) and all(key in value for key in required)
                and all(valid(value[key]) for key, valid in fields.items() if key in value))

    return check


_STRINGS = _list_of(_is_str)
_LINE = _record({"path": _is_str, "line": _is_int, "roles": _STRINGS, "calls": _is_int, "shapes": _STRINGS,
                 "symbols": _STRINGS}, required=("path", "line", "roles", "calls"))
_FAILURE = _record({"kind": _is_str, "message": _is_str, "path": _optional(_is_str), "line": _optional(_is_int)},
                   required=("kind", "message"))
_MODULE = _record({"class": _is_str, "class_path": _is_str, "path": _is_str, "line": _is_int, "instances": _is_int,
                   "parameters": _optional(_is_int), "trainable": _optional(_is_int)},
                  required=("class", "class_path", "path", "line", "instances"))

# Top-level key -> (validator, value when missing)
SCHEMA: dict[str, tuple[Validator, Any]] = {
    "lines": (_list_of(_LINE), []),
    "covered": (_dict_of(_list_of(_is_int)), {}),
    "facts": (_dict_of(_list_of(lambda fact: isinstance(fact, dict))), {}),
    "fact_counts": (_dict_of(_is_int), {}),
    "losses": (_list_of(_is_number), []),
    "failure": (_optional(_FAILURE), None),
    "exit_code": (_optional(_is_int), None),
    "notes": (_STRINGS, []),
    "instrumentation_errors": (_STRINGS, []),  # readkit's own observation failures, counted
    "training": (_dict_of(_is_int), {}),  # {"backwards": n, "steps": n}: did the checks have a training
    "modules": (_list_of(_MODULE), []),  # the target's own nn.Modules built (readkit.check.modules)
    "torch_names": (_record({"kinds": _dict_of(_is_str), "walked": _STRINGS}, required=()), {}),  # check.torchnames
}


def parse_observed(payload: bytes) -> dict[str, Any]:
    """The snapshot as a dict with every SCHEMA key present and well typed."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise UnreadableResults(f"not valid JSON ({_short(error)})") from None
    if not isinstance(data, dict):
        raise UnreadableResults(f"a JSON {type(data).__name__}, not an object")
    observed = {}
    for key, (valid, missing) in SCHEMA.items():
        value = data.get(key, missing)
        if not valid(value):
            raise UnreadableResults(f"{key!r} has the wrong shape or types")
        observed[key] = value
    return observed


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
