"""The names `from torch... import *` brings in, read from the installed torch.

Only files with a star import from torch pay for this, once per module and process;
everything else resolves names from the source alone. Importing torch costs a process
about 200 MB for the rest of its life, so unless torch is already imported (a test run,
an editor), the names are read in a short-lived child process
(`python -m readkit.annotate.torchnames MODULE`): a pool worker that meets
`from torch import *` stays as small as its largest file needs.
"""

from __future__ import annotations

import functools
import importlib
import json
import subprocess
import sys


@functools.cache
def exported(module: str) -> frozenset[str]:
    """Public names of a torch module (its __all__, else its non-underscore names)."""
    if module != "torch" and not module.startswith("torch."):
        return frozenset()
    if "torch" in sys.modules:
        return frozenset(public_names(module))
    return frozenset(_in_child(module))


def public_names(module: str) -> list[str]:
    try:
        loaded = importlib.import_module(module)
    except Exception:  # a torch build without that submodule: nothing comes in
        return []
    names = getattr(loaded, "__all__", None)
    if names is None:
        names = [n for n in dir(loaded) if not n.startswith("_")]
    return [str(n) for n in names]


def _in_child(module: str) -> list[str]:
    try:
        done = subprocess.run([sys.executable, "-m", "readkit.annotate.torchnames", module],
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        lines = done.stdout.strip().splitlines()
        names = json.loads(lines[-1]) if done.returncode == 0 and lines else []
    except (OSError, subprocess.SubprocessError, ValueError):
        return []  # as for a torch that cannot be imported: the star import brings nothing known
    return [str(n) for n in names] if isinstance(names, list) else []


if __name__ == "__main__":
    print(json.dumps(public_names(sys.argv[1])))
