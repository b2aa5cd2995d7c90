"""Between readkit and the child: `python -I -S supervisor.py COMMAND...`, outliving all it starts.

It makes itself a child subreaper (Linux `prctl(PR_SET_CHILD_SUBREAPER)`), so
that every process the target starts and abandons — a worker, a daemon that
double-forked and called setsid — is re-parented to it rather than to init.
When COMMAND ends, it kills every process left under it, round after round
(killing one re-parents that one's children to it), and exits as COMMAND did:
with its exit code, or killed by the same signal. On SIGTERM (readkit's
timeout) it gives COMMAND TERM_GRACE_SECONDS to flush its results, then
SIGKILL.

Run by file path with -I -S: standard library only, no readkit import, so that
it starts in a few milliseconds. Without prctl (not Linux) only its direct
children and readkit's kill of the process group remain.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
TERM_GRACE_SECONDS = 3.0
CLEANUP_SECONDS = 10.0  # a process stuck in the kernel (D state) is not waited for longer


def become_subreaper() -> bool:
    """Adopt every orphan below; and end the run (SIGTERM) if readkit itself dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def spawn(command: list[str]) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            for name in ("SIGTERM", "SIGPIPE", "SIGXFSZ"):  # as subprocess leaves them (restore_signals)
                signal.signal(getattr(signal, name), signal.SIG_DFL)
            os.execvp(command[0], command)
        except OSError as error:
            os.write(2, f"readkit: cannot start {command[0]}: {error.strerror}\n".encode())
        os._exit(127)
    return pid


_started: list[int] = []  # COMMAND's pid, for the SIGALRM handler


def arm_grace() -> None:
    """SIGTERM: COMMAND got it too (readkit signals the process group); SIGKILL it after the grace."""

    def on_term(*_: object) -> None:
        if signal.getitimer(signal.ITIMER_REAL)[0] == 0:
            signal.setitimer(signal.ITIMER_REAL, TERM_GRACE_SECONDS)

    def on_alarm(*_: object) -> None:
        for pid in _started:
            _kill(pid)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)


def wait_for(pid: int) -> int:
    _started.append(pid)
    _, status = os.waitpid(pid, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    return status


def kill_descendants() -> None:
    """SIGKILL every process under this one and reap it, until none is left (or CLEANUP_SECONDS)."""
    deadline = time.monotonic() + CLEANUP_SECONDS
    while time.monotonic() < deadline:
        for child in children():
            _kill(child)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] != 0:
                pass
        except ChildProcessError:
            return
        time.sleep(0.005)


def children() -> list[int]:
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as handle:
            return [int(pid) for pid in handle.read().split()]
    except OSError:
        return _children_from_proc(me)


def _children_from_proc(me: int) -> list[int]:
    """Without /proc/PID/task/TID/children (a kernel built without it): scan every process."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == me:
            found.append(int(entry))
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def exit_like(status: int) -> None:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL and SIGSTOP keep their default anyway
            pass
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.waitstatus_to_exitcode(status))


def main(command: list[str]) -> None:
    become_subreaper()
    arm_grace()
    status = wait_for(spawn(command))
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kill_descendants()
    exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
