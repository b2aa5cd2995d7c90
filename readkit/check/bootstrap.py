"""The child process: `python -m readkit.check.bootstrap SPEC_FD`.

Reads the run's spec (what to run, the results descriptor) from the inherited
descriptor SPEC_FD and closes it, installs the instrumentation, runs the target
as `python script.py` / `python -m module` would (or a notebook's code cells one after
the other, as Jupyter's Run All), and sends what it saw over the results pipe
(readkit.check.channel): periodically while running, and at exit, on SIGTERM,
on an exception, on `sys.exit`. The target's own output goes to the inherited
stdout/stderr untouched.
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import signal
import sys
import threading
import traceback
from types import TracebackType
from typing import Any


def main(spec_fd: str) -> None:
    with os.fdopen(int(spec_fd), "rb") as handle:
        spec = json.load(handle)
    recorder = _pipe_recorder(spec["results_fd"])
    sys.argv = [spec["argv0"], *spec["args"]]
    sys.path[0] = spec["sys_path0"]
    import torch  # noqa: F401  (imported before instrumenting, as the target would)

    from readkit.check.install import install

    recorder.start_flushing()
    instruments = install(recorder, tuple(spec["user_roots"]))
    finish = _finisher(recorder, instruments)
    atexit.register(finish, None)
    signal.signal(signal.SIGTERM, lambda signum, _frame: _terminated(finish, signum))
    code = _run(spec, recorder)
    finish(code)
    sys.exit(code)  # the target's own atexit handlers still run, as they would under python


def _pipe_recorder(fd: int) -> Any:
    """A Recorder whose flush sends the snapshot as one frame on the results pipe.

    The descriptor is not inherited by programs the target execs (a forked worker
    still holds it, and cannot send: flush only runs in this process). A frame cut
    off by a kill costs that frame only; the lock is taken with a timeout so that a
    SIGTERM arriving mid-flush in this thread skips the last flush instead of hanging.
    """
    from readkit.check.channel import send_frame
    from readkit.check.recorder import Recorder

    os.set_inheritable(fd, False)
    sending = threading.Lock()

    class PipeRecorder(Recorder):
        def flush(self) -> None:
            if os.getpid() != self.pid or not sending.acquire(timeout=2.0):
                return
            try:
                send_frame(fd, json.dumps(self.snapshot(), default=str).encode("utf-8"))
            except OSError:  # readkit stopped reading (a malformed frame came first), or the fd was closed
                pass
            finally:
                sending.release()

    return PipeRecorder(f"<results pipe, descriptor {fd}>")


def _finisher(recorder: Any, instruments: Any) -> Any:
    done = [False]

    def finish(code: int | None) -> None:
        if done[0]:
            return
        done[0] = True
        instruments.stop()
        try:
            instruments.finish(completed=code == 0)
        except Exception as error:
            recorder.instrumentation_error("workflow summary at exit", error)
        recorder.exit_code = code
        recorder.flush()

    return finish


def _terminated(finish: Any, signum: int) -> None:
    finish(128 + signum)
    os._exit(128 + signum)


def _run(spec: dict[str, Any], recorder: Any) -> int:
    try:
        _execute(spec)
    except SystemExit as stop:
        _KEPT_ALIVE.append(stop)
        return _exit_code(stop, recorder)
    except BaseException as error:  # the target's exception: report it, as Python would print it
        _KEPT_ALIVE.append(error)  # its traceback's frames hold the target's objects
        recorder.failure = _describe(error, spec["user_roots"])
        _print_user_traceback(error)
        return 1
    return 0


# What the target left behind outlives its run: the summary at exit inspects its optimizers
# and modules (held weakly while it runs), which runpy's temporary module would otherwise
# free when the script ends, or a traceback when it raises, depending on the garbage collector.
_KEPT_ALIVE: list[object] = []


def _execute(spec: dict[str, Any]) -> None:
    kind = spec["kind"]
    if kind == "module":
        namespace = runpy.run_module(spec["target"], run_name="__main__", alter_sys=True)
    elif kind == "notebook":
        from readkit.check.notebook_run import run_notebook

        namespace = run_notebook(spec["target"], spec["source"], spec.get("spans", []))
    else:
        namespace = runpy.run_path(spec["target"], run_name="__main__")
    _KEPT_ALIVE.append(namespace)


def _exit_code(stop: SystemExit, recorder: Any) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        code = stop.code
    else:
        print(stop.code, file=sys.stderr)
        code = 1
    if code != 0:
        recorder.failure = {"kind": "exit", "message": f"sys.exit({stop.code!r})", "path": None, "line": None}
    return code


def _describe(error: BaseException, user_roots: list[str]) -> dict[str, Any]:
    kind = "memory" if isinstance(error, MemoryError) else "exception"
    message = f"{type(error).__name__}: {error}".strip().rstrip(":")
    path, line = _user_location(error.__traceback__, user_roots)
    if isinstance(error, SyntaxError) and error.filename and not error.filename.startswith("<"):
        path, line = error.filename, error.lineno  # the file that failed to compile, not the importer
    return {"kind": kind, "message": message.splitlines()[0][:500] if message else type(error).__name__,
            "path": path, "line": line}


def _user_location(tb: TracebackType | None, user_roots: list[str]) -> tuple[str | None, int | None]:
    """The innermost traceback entry in the target's own files."""
    found: tuple[str | None, int | None] = (None, None)
    roots = tuple(os.path.abspath(r) + os.sep for r in user_roots)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        filename = os.path.abspath(name)
        if name.startswith("<"):  # <frozen runpy>, <string>: no file of the target's
            pass
        elif filename.startswith(roots) or filename in user_roots:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _print_user_traceback(error: BaseException) -> None:
    """The traceback as `python script.py` would print it: without readkit's and runpy's frames."""
    readkit_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    kept: list[TracebackType] = []
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(readkit_dir) and "runpy" not in filename \
                and tb.tb_frame.f_code.co_name != "_readkit_call":  # readkit.check.impersonate
            kept.append(tb)
        tb = tb.tb_next
    for entry, following in zip(kept, [*kept[1:], None]):
        entry.tb_next = following
    # python's own display (sys.__excepthook__), which adds "Did you mean: ...?" as `python script.py` does
    error.with_traceback(kept[0] if kept else None)  # the C display reads the exception's own traceback
    sys.__excepthook__(type(error), error, kept[0] if kept else None)


if __name__ == "__main__":
    main(sys.argv[1])
