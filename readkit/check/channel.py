"""The results channel: a pipe readkit owns, inherited by the child as a bare descriptor.

The child sends each snapshot of what it observed as one frame (MAGIC, an
8-byte big-endian length, the JSON). readkit keeps the last complete frame: a
child killed in the middle of a frame loses that frame only, never the earlier
ones. Nothing is named in the file system, so there is no path for the target
to replace with a FIFO, a symlink to /dev/zero or its own file. The target can
still see its own descriptors and write to this one; what arrives is therefore
bounded (MAX_RESULTS_BYTES a frame, RESULTS_GRACE_SECONDS after the child ends)
and validated (readkit.check.observed) before anything reads it.

Leaves out: parsing (observed.py) and the recorder's snapshot itself (recorder.py).
"""

from __future__ import annotations

import os
import select
import threading
from dataclasses import dataclass

MAGIC = b"RKR1"
HEADER_BYTES = len(MAGIC) + 8
MAX_RESULTS_BYTES = 64 * 1024 * 1024  # one snapshot; real ones are a few MB at most
RESULTS_GRACE_SECONDS = 2.0  # after every process of the run ended, to read what is still in the pipe
READ_CHUNK = 1024 * 1024


# ----------------------------------------------------------------------------
# The child's side


def send_frame(fd: int, payload: bytes) -> None:
    """Write one frame, all of it (a pipe may take a large write in pieces)."""
    view = memoryview(MAGIC + len(payload).to_bytes(8, "big") + payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# ----------------------------------------------------------------------------
# readkit's side


@dataclass(frozen=True)
class Received:
    payload: bytes | None  # the last complete frame; None when none arrived
    error: str | None  # why the channel could not be read (the payload is then None)
    partial: bool  # bytes of an unfinished frame were left at the end (the child was cut off mid-write)


class ResultsReceiver:
    """Drains the read end of the pipe in a thread while the child runs, keeping the last frame."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._last: bytes | None = None
        self._error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="readkit-results", daemon=True)
        self._thread.start()

    def finish(self, grace: float = RESULTS_GRACE_SECONDS) -> Received:
        """Wait up to `grace` seconds for the end of the stream, then stop reading and close it."""
        self._thread.join(timeout=grace)
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        if self._error is not None:
            return Received(None, self._error, False)
        return Received(self._last, None, bool(self._buffer))

    def _drain(self) -> None:
        """Read until every writer closed the pipe; after an error, keep reading and discard
        (a writer blocked on a full pipe would otherwise hang the child)."""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(self._fd, READ_CHUNK)
            if not chunk:
                return
            if self._error is None:
                self._buffer += chunk
                self._take_frames()

    def _take_frames(self) -> None:
        while len(self._buffer) >= HEADER_BYTES:
            if self._buffer[:len(MAGIC)] != MAGIC:
                self._fail("the results channel carried something that is not a results frame")
                return
            length = int.from_bytes(self._buffer[len(MAGIC):HEADER_BYTES], "big")
            if length > MAX_RESULTS_BYTES:
                self._fail(f"a results frame of {length} bytes is over the limit of {MAX_RESULTS_BYTES}")
                return
            if len(self._buffer) < HEADER_BYTES + length:
                return
            self._last = bytes(self._buffer[HEADER_BYTES:HEADER_BYTES + length])
            del self._buffer[:HEADER_BYTES + length]

    def _fail(self, reason: str) -> None:
        self._error = reason
        self._buffer.clear()
        self._last = None
