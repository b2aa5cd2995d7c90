"""The child's limits: its own session, resource limits, and (on request) no network.

`check` runs the code it is given, like running it yourself. These limits stop
accidents (a runaway allocation, a file flood, a hang), not an attacker: the
target runs as your user, with your files.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from functools import lru_cache
from typing import Callable

OPEN_FILES = 4096
FILE_SIZE_BYTES = 8 * 1024**3  # no single file larger than 8 GiB (checkpoints fit, a runaway log does not)


class SandboxError(Exception):
    """The requested isolation is not available on this machine."""


def limiter(max_memory_mb: int | None) -> Callable[[], None]:
    """The preexec function: limits set in the child just before it starts Python."""

    def apply() -> None:
        _lower(resource.RLIMIT_CORE, 0)
        _lower(resource.RLIMIT_NOFILE, OPEN_FILES)
        _lower(resource.RLIMIT_FSIZE, FILE_SIZE_BYTES)
        if max_memory_mb is not None:
            # RLIMIT_DATA counts heap and private mappings (Linux >= 4.7); RLIMIT_AS would also
            # count torch's large reserved-but-unused address space and fail at import.
            _lower(resource.RLIMIT_DATA, max_memory_mb * 1024 * 1024)

    return apply


def _lower(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or soft > value:
        resource.setrlimit(which, (value, hard))


@lru_cache(maxsize=1)
def no_network_prefix() -> tuple[str, ...]:
    """The command prefix that runs a process in a new, empty network namespace.

    Raises SandboxError when neither `unshare --net` (as root) nor `unshare -rn`
    (an unprivileged user namespace) works here: readkit then refuses to run
    rather than silently running with the network.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        raise SandboxError("--no-network needs the `unshare` command (util-linux), which is not installed")
    candidates = [(unshare, "--net")] if os.geteuid() == 0 else []
    candidates.append((unshare, "-rn"))
    for prefix in candidates:
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=10)
        if probe.returncode == 0:
            return prefix
    reason = probe.stderr.strip() or f"exit {probe.returncode}"
    raise SandboxError(f"--no-network: this machine does not allow a new network namespace ({reason}); "
                       "refusing to run the target with network access")
