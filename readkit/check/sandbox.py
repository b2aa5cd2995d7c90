"""The child's limits: resource limits, and (on request) no network.

`check` runs the code it is given, like running it yourself. These limits stop
accidents (a runaway allocation, a file flood, a hang), not an attacker: the
target runs as your user, with your files. `--no-network` is the one promise
kept against a target that tries: it gets no network interface but a down
loopback, and cannot join readkit's network namespace again (docs/check.md says
what it still reaches: the file system, Unix sockets in it).
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


# Capabilities a root target would keep in the initial user namespace, and with them `setns`
# back into readkit's network namespace (or ptrace of readkit's own processes): all dropped,
# for good (bounding set), and no setuid program can give them back (no_new_privs).
DROP_EVERY_CAPABILITY = ("--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all")


@lru_cache(maxsize=1)
def no_network_prefix() -> tuple[str, ...]:
    """The command prefix that runs the child in a new, empty network namespace it cannot leave.

    First choice, for every user: `unshare -rn`, a new user namespace owning the new
    network namespace; the target is uid 0 there, with capabilities over its own
    namespaces only, none over readkit's. For root where user namespaces are not
    available: `unshare --net` followed by `setpriv`, which drops every capability;
    a plain `unshare --net` is never used (root could `setns` straight back).
    Raises SandboxError when none of these works here: readkit then refuses to run
    rather than silently running with the network.
    """
    candidates = network_candidates()
    reason = "no way to create one was found"
    for prefix in candidates:
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=10)
        if probe.returncode == 0:
            return prefix
        reason = probe.stderr.strip() or f"exit {probe.returncode}"
    raise SandboxError(f"--no-network: this machine does not allow a network namespace the target cannot "
                       f"leave ({reason}); refusing to run the target with network access")


def network_candidates() -> list[tuple[str, ...]]:
    """The prefixes to try, best first (see no_network_prefix)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise SandboxError("--no-network needs the `unshare` command (util-linux), which is not installed")
    candidates: list[tuple[str, ...]] = [(unshare, "-rn")]
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv is not None:
        candidates.append((unshare, "--net", setpriv, *DROP_EVERY_CAPABILITY))
    return candidates
