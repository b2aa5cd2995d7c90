"""Run the child: its own session, limits, a timeout that kills the whole group.

Output is streamed through (the child inherits readkit's stdout/stderr, or
stdout goes to stderr when readkit's own stdout carries JSON), or captured with
`quiet`, keeping only the last OUTPUT_TAIL_BYTES so that a flood cannot
exhaust memory. The results file is read whatever happened to the child.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from readkit.check.sandbox import limiter

OUTPUT_TAIL_BYTES = 64 * 1024
TERM_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class ChildRun:
    returncode: int | None  # None: killed by readkit (timeout)
    timed_out: bool
    signal: int | None  # the signal that ended the child, if any
    seconds: float
    output: str
    observed: dict[str, Any]  # the results file's content ({} when the child wrote none)


class _Tail:
    """Keeps the last OUTPUT_TAIL_BYTES of a stream while draining it."""

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.dropped = 0

    def drain(self, stream: IO[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
            self.chunks.append(chunk)
            self.size += len(chunk)
            while self.size > OUTPUT_TAIL_BYTES and len(self.chunks) > 1:
                self.size -= len(self.chunks[0])
                self.dropped += len(self.chunks.popleft())

    def text(self) -> str:
        body = b"".join(self.chunks).decode("utf-8", errors="replace")
        return f"[... {self.dropped} bytes of output left out ...]\n{body}" if self.dropped else body


def run_child(spec: dict[str, Any], workdir: Path, cwd: Path, timeout: float, max_memory_mb: int | None,
              quiet: bool, prefix: tuple[str, ...], output_to_stderr: bool) -> ChildRun:
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    command = [*prefix, sys.executable, "-m", "readkit.check.bootstrap", str(spec_path)]
    capture = subprocess.PIPE if quiet else None
    stdout = capture if quiet else (sys.stderr if output_to_stderr else None)
    start = time.monotonic()
    child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                             stderr=subprocess.STDOUT if quiet else None, start_new_session=True,
                             preexec_fn=limiter(max_memory_mb), env=_child_env())
    tail = _Tail()
    reader = _start_reader(child, tail) if quiet else None
    timed_out = _wait(child, timeout)
    if reader is not None:
        reader.join(timeout=5)
    seconds = time.monotonic() - start
    code = child.returncode
    return ChildRun(returncode=None if timed_out else code, timed_out=timed_out,
                    signal=-code if code is not None and code < 0 else None, seconds=seconds,
                    output=tail.text(), observed=_read_results(Path(spec["results"])))


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
    """Processes the target started and left behind (workers, daemons) end with it."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _end_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group (the child flushes what it saw), SIGKILL after a grace period."""
    for sig, grace in ((signal.SIGTERM, TERM_GRACE_SECONDS), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _read_results(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
