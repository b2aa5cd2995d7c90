"""Run several fixture scripts in ONE interpreter (torch is imported once), each as `__main__`
in its own directory, and print what each raised and warned as JSON.

Usage: python run_scripts.py JOBS.json, JOBS = [{"dir": str, "script": str, "args": [str]}].
A test helper, not part of readkit: the tests only need the exception type, its
message and the warnings, and a fresh interpreter per script costs ~1.5 s each.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import sys
import warnings


def run_one(directory: str, script: str, args: list[str]) -> dict[str, object]:
    before = set(sys.modules)
    os.chdir(directory)
    sys.path.insert(0, directory)
    sys.argv = [script, *args]
    out = io.StringIO()
    outcome: dict[str, object] = {"raises": None, "message": ""}
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(out):
        warnings.simplefilter("always")
        try:
            runpy.run_path(os.path.join(directory, script), run_name="__main__")
        except BaseException as error:  # the script's failure is the data we want
            outcome = {"raises": type(error).__name__, "message": str(error)}
    sys.path.remove(directory)
    for name in set(sys.modules) - before:  # the fixture's own modules (e.g. `model`) must not leak
        if os.path.dirname(getattr(sys.modules[name], "__file__", None) or "") == directory:
            del sys.modules[name]
    return {**outcome, "warnings": sorted({str(w.message) for w in caught}), "output": out.getvalue()[-2000:]}


def main() -> None:
    with open(sys.argv[1]) as handle:
        jobs = json.load(handle)
    import torch  # noqa: F401  (once, before the first job, so its import is not timed per script)

    results = [run_one(job["dir"], job["script"], job.get("args", [])) for job in jobs]
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
