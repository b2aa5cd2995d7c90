"""Runtime ground truth for the annotator evaluation: which torch roles each line of a target USED DIRECTLY.

Run in a child process (never in the harness's own):
    python tests/benchmarks/_oracle.py --root DIR --out FILE.json -- script.py [ARGS]
    python tests/benchmarks/_oracle.py --root DIR --out FILE.json -m package [ARGS]
    python tests/benchmarks/_oracle.py --root DIR --batch SPEC.json [--jobs N]   (one torch import, a fork per target)

An event is one use of a torch API. It belongs to the innermost frame that is neither torch, the
standard library, nor this oracle -- and only when torch was entered directly from that frame (what
torch runs inside its own code, e.g. the tensor ops inside `opt.step()` or inside `nn.Linear.forward`,
belongs to nobody's line). Events inside a user-defined forward() belong to the user's lines there.

Sources of events, independent of readkit's annotator and checker:
  * a TorchFunctionMode: torch functions, Tensor methods and operators, Tensor attribute get/set;
  * sys.settrace 'call' events: any Python function of torch's files entered directly from user code
    (module calls, optimizer step/zero_grad, DataLoader iteration, no_grad, distributions, ...),
    decorator wrappers resolved to the function they wrap;
  * construction of instances of user classes that subclass a torch class (`model = Net()`);
  * attribute reads on torch modules (`torch.float32`, `nn.Linear` in isinstance, `torch.cuda`);
  * light wrapping where nothing above sees the use: Module's generator methods (`parameters()`),
    `Variable(...)`, `ctx.saved_tensors`, `optimizer.param_groups`.
Qualified names get their role from readkit.roles.role_for, the one role table.

"Soft" events (accessing a registered submodule/parameter through nn.Module.__getattr__, assigning a
Module/Parameter through __setattr__) are recorded apart: the harness reports them but does not count
them as ground truth.

Output JSON: {"events": [[path, line, qualname, role, soft]], "lines": {path: [executed lines]},
"error": str|null, "seconds": float}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import runpy
import sys
import time
import warnings
from contextlib import redirect_stderr, redirect_stdout

from _oracle_names import FrameKinds
from _oracle_hooks import OracleMode, Recorder, install_module_attribute_tracking, install_wrappers

# ----------------------------------------------------------------------------
# Running the target


def last_user_line(exc: BaseException, kinds: FrameKinds) -> str:
    tb, where = exc.__traceback__, ""
    while tb is not None:
        if kinds.kind(tb.tb_frame.f_code.co_filename) == "user":
            where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def run_target(recorder: Recorder, target: str, module: bool, args: list[str]) -> str | None:
    sys.argv = [target, *args]
    sys.path.insert(0, recorder.kinds.root if module else os.path.dirname(os.path.abspath(target)))
    recorder.mode = OracleMode(recorder)
    sys.settrace(recorder.global_trace)
    try:
        with recorder.mode:
            if module:
                runpy.run_module(target, run_name="__main__", alter_sys=True)
            else:
                runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        return None if exc.code in (0, None) else f"exit {exc.code}"
    except BaseException as exc:  # the target's failure is data, not the oracle's
        return f"{type(exc).__name__}: {exc}{last_user_line(exc, recorder.kinds)}"
    finally:
        sys.settrace(None)
    return None


def run_one(root: str, target: str, module: bool, args: list[str], out: str) -> None:
    """Run one target under a fresh recorder and write its JSON result (in this process)."""
    target = target if module else os.path.abspath(target)
    recorder = Recorder(FrameKinds(root))
    install_module_attribute_tracking(recorder)
    install_wrappers(recorder)
    os.chdir(os.environ.get("ORACLE_CWD", os.path.abspath(root)))
    started = time.perf_counter()
    captured = io.StringIO()
    with redirect_stdout(captured), redirect_stderr(captured), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error = run_target(recorder, target, module, args)
    events, lines = recorder.as_json()
    result = {"events": events, "lines": lines, "error": error, "seconds": time.perf_counter() - started}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


def run_batch(root: str, spec_path: str, jobs: int, timeout: float) -> None:
    """Many targets, one torch import: fork a child per target (the parent never runs target code).

    spec: a JSON list of [target, is_module, out_path] or [target, is_module, out_path, root] (a root
    of its own: a notebook's joined program). A child that fails or runs out of time gets an error
    result instead."""
    with open(spec_path, encoding="utf-8") as handle:
        pending = [tuple(item) for item in json.load(handle)]
    running: dict[int, tuple[str, float]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            target, module, out, *own_root = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                child(own_root[0] if own_root else root, target, bool(module), out)
            running[pid] = (out, time.monotonic())
        reap(running, timeout)


def child(root: str, target: str, module: bool, out: str) -> None:
    code = 0
    try:
        run_one(root, target, module, [], out)
    except BaseException:  # noqa: BLE001  (a child must never return into the parent's loop)
        code = 1
    finally:
        os._exit(code)


def reap(running: dict[int, tuple[str, float]], timeout: float) -> None:
    time.sleep(0.02)
    for pid, (out, started) in list(running.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0 and time.monotonic() - started > timeout:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            status = -9
        elif done == 0:
            continue
        del running[pid]
        if status != 0 or not os.path.exists(out):
            failure = {"events": [], "lines": {}, "error": f"oracle child ended with status {status}", "seconds": 0.0}
            with open(out, "w", encoding="utf-8") as handle:
                json.dump(failure, handle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="directory whose files are the target's own code")
    parser.add_argument("--out", help="where to write the JSON result")
    parser.add_argument("--batch", help="JSON list of [target, is_module, out]: run each in a forked child")
    parser.add_argument("--jobs", type=int, default=2, help="children at once with --batch")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per child with --batch")
    parser.add_argument("-m", dest="module", action="store_true", help="TARGET is a module name")
    parser.add_argument("target", nargs="?")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    if opts.batch:
        run_batch(opts.root, opts.batch, opts.jobs, opts.timeout)
    elif opts.target and opts.out:
        run_one(opts.root, opts.target, opts.module, opts.args, opts.out)
    else:
        parser.error("give TARGET and --out, or --batch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
