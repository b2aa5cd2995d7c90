"""Run the child: under a supervisor, with its own session, limits, and a timeout.

The command is `python -I -S supervisor.py [PREFIX] python -m readkit.check.bootstrap FD`:
the supervisor (its own session, so readkit can signal the whole group) adopts
every process the target leaves behind and kills them all when the child ends.
The spec travels in an unlinked temporary file and the results come back over a
pipe (readkit.check.channel): both are inherited descriptors, and no path on
the command line or in the scratch directory leads to them.

Output is streamed through (the child inherits readkit's stdout/stderr, or
stdout goes to stderr when readkit's own stdout carries JSON), or captured with
`quiet`, keeping only the last OUTPUT_TAIL_BYTES so that a flood cannot
exhaust memory; the number of bytes left out is reported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from readkit.check import supervisor
from readkit.check.channel import Received, ResultsReceiver
from readkit.check.observed import UnreadableResults, parse_observed
from readkit.check.sandbox import limiter

OUTPUT_TAIL_BYTES = 64 * 1024
TERM_GRACE_SECONDS = supervisor.TERM_GRACE_SECONDS
SUPERVISOR_SECONDS = TERM_GRACE_SECONDS + supervisor.CLEANUP_SECONDS  # its grace, then its cleanup


@dataclass(frozen=True)
class ChildRun:
    returncode: int | None  # None: killed by readkit (timeout)
    timed_out: bool
    signal: int | None  # the signal that ended the child, if any
    seconds: float
    output: str
    observed: dict[str, Any]  # the validated snapshot (readkit.check.observed.SCHEMA); {} when none arrived
    unreadable: str | None = None  # why the results could not be read (observed is then {})
    output_left_out: int | None = None  # with quiet: bytes of output not kept; None when output was not captured


class _Tail:
    """Keeps the last OUTPUT_TAIL_BYTES of a stream while draining it."""

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.dropped = 0

    def drain(self, stream: IO[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]  # a binary pipe: read1 exists on the BufferedReader it is
            self.chunks.append(chunk)
            self.size += len(chunk)
            while self.size > OUTPUT_TAIL_BYTES:  # exactly the last OUTPUT_TAIL_BYTES stay
                excess = self.size - OUTPUT_TAIL_BYTES
                first = self.chunks.popleft()
                if len(first) > excess:
                    self.chunks.appendleft(first[excess:])
                cut = min(len(first), excess)
                self.size -= cut
                self.dropped += cut

    def text(self) -> str:
        body = b"".join(self.chunks).decode("utf-8", errors="replace")
        return f"[... {self.dropped} bytes of output left out ...]\n{body}" if self.dropped else body


def run_child(spec: dict[str, Any], cwd: Path, timeout: float, max_memory_mb: int | None,
              quiet: bool, prefix: tuple[str, ...], output_to_stderr: bool) -> ChildRun:
    start = time.monotonic()
    results_fd, results_write = os.pipe()
    try:
        child = _spawn(spec, results_write, cwd, max_memory_mb, quiet, prefix, output_to_stderr)
    except BaseException:
        os.close(results_fd)
        raise
    finally:
        os.close(results_write)  # the child holds the only write end now: EOF when it and its own end
    receiver = ResultsReceiver(results_fd)
    tail = _Tail()
    reader = _start_reader(child, tail) if quiet else None
    try:
        timed_out = _wait(child, timeout)
    finally:
        received = receiver.finish()
    if reader is not None:
        reader.join(timeout=5)
    code = child.returncode
    observed, unreadable = _observed(received)
    return ChildRun(returncode=None if timed_out else code, timed_out=timed_out,
                    signal=-code if code is not None and code < 0 else None, seconds=time.monotonic() - start,
                    output=tail.text(), observed=observed, unreadable=unreadable,
                    output_left_out=tail.dropped if quiet else None)


def _spawn(spec: dict[str, Any], results_fd: int, cwd: Path, max_memory_mb: int | None, quiet: bool,
           prefix: tuple[str, ...], output_to_stderr: bool) -> subprocess.Popen[bytes]:
    with tempfile.TemporaryFile() as spec_file:  # unlinked: the child reads it through its descriptor
        spec_file.write(json.dumps({**spec, "results_fd": results_fd}).encode("utf-8"))
        spec_file.flush()
        spec_file.seek(0)
        spec_fd = spec_file.fileno()
        command = [sys.executable, "-I", "-S", supervisor.__file__, *prefix,
                   sys.executable, "-m", "readkit.check.bootstrap", str(spec_fd)]
        stdout = subprocess.PIPE if quiet else (sys.stderr if output_to_stderr else None)
        return subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=subprocess.STDOUT if quiet else None, start_new_session=True,
                                pass_fds=(results_fd, spec_fd), preexec_fn=limiter(max_memory_mb),
                                env=_child_env())


def _observed(received: Received) -> tuple[dict[str, Any], str | None]:
    if received.error is not None:
        return {}, received.error
    if received.payload is None:
        return {}, None
    try:
        return parse_observed(received.payload), None
    except UnreadableResults as error:
        return {}, str(error)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # output interleaves as it would in a terminal
    return env


def _start_reader(child: subprocess.Popen[bytes], tail: _Tail) -> threading.Thread:
    assert child.stdout is not None
    reader = threading.Thread(target=tail.drain, args=(child.stdout,), daemon=True)
    reader.start()
    return reader


def _wait(child: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the child; on timeout (or Ctrl-C) end its whole process group. True when timed out."""
    try:
        child.wait(timeout=timeout)
        _kill_leftovers(child)
        return False
    except subprocess.TimeoutExpired:
        _end_group(child)
        return True
    except KeyboardInterrupt:
        _end_group(child)
        raise


def _kill_leftovers(child: subprocess.Popen[bytes]) -> None:
    """The supervisor killed every process under it; its process group goes too, in case it could not."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _end_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group: the child flushes what it saw, the supervisor SIGKILLs it after its
    grace period and cleans up. SIGKILL to the group only if the supervisor itself did not finish."""
    for sig, wait in ((signal.SIGTERM, SUPERVISOR_SECONDS), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
