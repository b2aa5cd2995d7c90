"""The checker's boundary with the target: results it cannot forge into a crash, processes it
cannot leave behind, a network namespace it cannot leave, output it cannot hide.

Every hostile target is written here at test time into tmp_path. Each whole run costs a torch
import in the child (~1.5 s alone): a target does several hostile things in one run where it can.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.check import check_target
from readkit.check.channel import MAGIC, MAX_RESULTS_BYTES, ResultsReceiver, send_frame
from readkit.check.runner import OUTPUT_TAIL_BYTES
from readkit.check.observed import UnreadableResults, parse_observed
from readkit.cli import cli
from readkit.render.check import to_json

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the subreaper and namespaces are Linux-only")


def write_target(tmp_path: Path, body: str, name: str = "target.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# ----------------------------------------------------------------------------
# The channel and the validation, without a child


def receive(*chunks: bytes) -> object:
    read_fd, write_fd = os.pipe()
    receiver = ResultsReceiver(read_fd)
    for chunk in chunks:
        os.write(write_fd, chunk)
    os.close(write_fd)
    return receiver.finish()


def frame(payload: bytes) -> bytes:
    return MAGIC + len(payload).to_bytes(8, "big") + payload


def test_the_last_complete_frame_wins_and_a_cut_off_frame_costs_only_itself():
    received = receive(frame(b'{"losses": [1.0]}'), frame(b'{"losses": [1.0, 2.0]}'), frame(b'{"losses": [9')[:20])
    assert received.payload == b'{"losses": [1.0, 2.0]}' and received.partial and received.error is None
    assert receive().payload is None and receive().error is None


def test_garbage_and_an_oversized_frame_are_errors_not_memory():
    assert "not a results frame" in receive(b"\0" * 100).error
    oversized = MAGIC + (MAX_RESULTS_BYTES + 1).to_bytes(8, "big")
    received = receive(frame(b"{}"), oversized)
    assert received.payload is None and "over the limit" in received.error


def test_a_flood_is_drained_without_keeping_it():
    read_fd, write_fd = os.pipe()
    receiver = ResultsReceiver(read_fd)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    block = b"\0" * (1 << 20)
    for _ in range(256):  # 256 MiB of /dev/zero: the writer is never blocked for good, nothing is kept
        os.write(write_fd, block)
    os.close(write_fd)
    received = receiver.finish()
    assert "not a results frame" in received.error
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024


def test_a_writer_that_never_closes_costs_the_grace_period_not_a_hang():
    read_fd, write_fd = os.pipe()
    receiver = ResultsReceiver(read_fd)
    send_frame(write_fd, b'{"notes": ["x"]}')
    start = time.monotonic()
    received = receiver.finish(grace=0.5)
    assert time.monotonic() - start < 2 and received.payload == b'{"notes": ["x"]}'
    os.close(write_fd)


@pytest.mark.parametrize("payload, reason", [
    (b"not json", "not valid JSON"),
    (b"[1, 2]", "a JSON list"),
    (b'{"lines": [{"path": 3, "line": 1, "roles": [], "calls": 0}]}', "'lines'"),
    (b'{"lines": [{"path": "a.py"}]}', "'lines'"),
    (b'{"losses": ["x"]}', "'losses'"),
    (b'{"failure": {"kind": "exception"}}', "'failure'"),
    (b'{"failure": "boom"}', "'failure'"),
    (b'{"covered": {"a.py": [true]}}', "'covered'"),
    (b'{"facts": {"backward": [1]}}', "'facts'"),
    (b'{"exit_code": "0"}', "'exit_code'"),
    (b'{"notes": [null]}', "'notes'"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    (b'\xff\xfe', "not valid JSON"),
])
def test_malformed_snapshots_are_unreadable_with_the_reason(payload, reason):
    with pytest.raises(UnreadableResults, match=reason if reason.startswith("'") else None) as error:
        parse_observed(payload)
    assert reason in str(error.value)


def test_a_well_formed_snapshot_gets_every_key():
    observed = parse_observed(b'{"losses": [1, 2.5, NaN], "unknown": {"ignored": true}}')
    assert observed["losses"][:2] == [1, 2.5] and observed["lines"] == [] and observed["failure"] is None
    assert "unknown" not in observed


# ----------------------------------------------------------------------------
# Hostile targets, whole runs

FORGE = """
    import fcntl, os, stat
    import torch

    def write_only_pipe(fd):
        try:
            return stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
        except OSError:  # the descriptor listdir itself used
            return False

    (torch.ones(2, requires_grad=True) * 3).sum().backward()
    for fd in [int(fd) for fd in os.listdir("/proc/self/fd") if int(fd) > 2]:
        if write_only_pipe(fd):  # readkit's results pipe: it can see that much
            os.write(fd, PAYLOAD)
    os._exit(0)  # no last flush of readkit's own
"""


@linux_only
@pytest.mark.parametrize("payload, reason", [
    (frame(b'{"lines": [{"path": "a.py", "line": "1", "roles": [], "calls": 0}]}'), "'lines' has the wrong shape"),
    (frame(b'{"failure": {"kind": "exception"}}'), "'failure' has the wrong shape"),
    (frame(b'{"facts": {"non-finite": [{"path": ["a.py"], "line": 1}]}}'), "a workflow fact is malformed"),
    (frame(b'{"losses": [1.0'), "not valid JSON"),
    (MAGIC + (1 << 62).to_bytes(8, "big"), "over the limit"),
    (b"\0" * (8 << 20), "not a results frame"),  # /dev/zero, 8 MiB of it
], ids=["wrong-lines", "wrong-failure", "bad-fact", "bad-json", "huge-length", "zeros"])
# explicit ids: pytest < 9 puts the whole payload in the id, and so in PYTEST_CURRENT_TEST,
# which every child inherits (an 8 MiB environment variable: exec fails with E2BIG)
def test_a_target_forging_its_results_is_reported_as_unreadable(tmp_path, payload, reason):
    script = write_target(tmp_path, FORGE.replace("PAYLOAD", repr(payload)))
    result = check_target(script, quiet=True, reconcile=False, timeout=60)
    assert (result.status, result.failure.kind) == ("failed", "results"), result
    assert result.failure.message.startswith("the run's results could not be read: ") and reason in result.failure.message
    assert result.lines == () and result.problems == () and result.losses == ()
    assert result.extra["notes"] == ["the target's own run ended as: ok"]
    result = CliRunner().invoke(cli, ["check", str(script), "--quiet", "--format", "json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["failure"]["kind"] == "results"
    assert "Traceback" not in result.output


LEFT_BEHIND = """
    import os, sys, time
    import torch

    out = sys.argv[1]
    os.mkfifo("../results.json")  # the old results path, now a trap that must not matter
    os.symlink("/dev/zero", "../spec.json")
    if os.fork() == 0:  # a daemon: fork, setsid, fork again, the middle one exits
        os.setsid()
        if os.fork() == 0:
            with open(out + ".daemon", "w") as handle:
                handle.write(f"{os.getpid()} {os.getcwd()}")
            time.sleep(600)
        os._exit(0)
    if os.fork() == 0:  # a plain child that outlives its parent
        with open(out + ".child", "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(600)
    while not (os.path.exists(out + ".daemon") and os.path.exists(out + ".child")):
        time.sleep(0.05)
    with open(out + ".cmdline", "w") as handle:
        handle.write(open("/proc/self/cmdline").read().replace("\\0", " "))
    (torch.ones(2, requires_grad=True) * 3).sum().backward()
    if sys.argv[2] == "hang":
        time.sleep(600)
    elif sys.argv[2] == "kill":
        os.kill(os.getpid(), 9)
"""


@linux_only
@pytest.mark.parametrize("ending, status", [
    ("exit", "ok"),
    ("kill", "killed"),  # the child SIGKILLs itself: nothing of readkit's runs in it afterwards
    pytest.param("hang", "timeout", marks=pytest.mark.slow),  # waits for the timeout (60 s: torch imports first)
])
def test_every_process_the_target_started_is_gone_and_so_is_its_scratch_directory(tmp_path, ending, status):
    script = write_target(tmp_path, LEFT_BEHIND)
    out = tmp_path / "pids"
    result = check_target(script, args=(str(out), ending), quiet=True, reconcile=False,
                          timeout=60 if ending == "hang" else 300)
    assert result.status == status, result
    if ending != "kill":  # a SIGKILL can come before the last send
        assert result.losses == (6.0,)  # the real results, not the FIFO left in their old place
    daemon, scratch = (tmp_path / "pids.daemon").read_text().split(" ", 1)
    child = int((tmp_path / "pids.child").read_text())
    assert not alive(int(daemon)) and not alive(child)
    assert not Path(scratch).exists() and not Path(scratch).parent.exists()
    cmdline = (tmp_path / "pids.cmdline").read_text()
    assert "results" not in cmdline and "spec" not in cmdline and "readkit-check" not in cmdline


# ----------------------------------------------------------------------------
# --quiet says what it left out


def test_quiet_reports_the_bytes_left_out_on_success_in_text_and_json(tmp_path):
    script = write_target(tmp_path, """
        import sys
        for _ in range(3000):
            sys.stdout.write("x" * 99 + "\\n")  # 300 000 bytes, then success
    """)
    runner = CliRunner()
    document = json.loads(runner.invoke(cli, ["check", str(script), "--quiet", "--format", "json"]).stdout)
    assert document["status"] == "ok"
    left_out = document["output_left_out"]
    assert left_out == 300_000 - OUTPUT_TAIL_BYTES  # exactly the last 64 KiB are kept
    assert any(f"{left_out} bytes were left out" in note for note in document["notes"])
    text = runner.invoke(cli, ["check", str(script), "--quiet"])
    assert text.exit_code == 0 and f"{left_out} bytes were left out" in text.output
    streamed = check_target(script, reconcile=False)  # not captured: nothing to count
    assert json.loads(to_json(streamed))["output_left_out"] is None and not streamed.extra["notes"]


# ----------------------------------------------------------------------------
# --no-network: no way out, or no run

ESCAPE = """
    import ctypes, json, os, socket, sys

    CLONE_NEWNET = 0x40000000
    out, port, *others = sys.argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    tried = {}
    for pid in [os.getppid(), 1, *others]:  # readkit's supervisor, init, readkit itself
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        except OSError as error:
            tried[pid] = error.strerror
            continue
        tried[pid] = "joined" if libc.setns(fd, CLONE_NEWNET) == 0 else os.strerror(ctypes.get_errno())
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=2).close()
        connected = True
    except OSError:
        connected = False
    with open(out, "w") as handle:
        json.dump({"tried": tried, "connected": connected, "ns": os.readlink("/proc/self/ns/net")}, handle)
"""


def available_network_modes() -> list[tuple[str, ...]]:
    if sys.platform != "linux":
        return []
    from readkit.check.sandbox import SandboxError, network_candidates

    try:
        return network_candidates()
    except SandboxError:
        return []


@linux_only
@pytest.mark.parametrize("mode", available_network_modes(), ids=lambda prefix: " ".join(prefix[1:3]))
def test_no_network_cannot_be_left_even_by_root(tmp_path, monkeypatch, mode):
    from readkit.check import sandbox

    monkeypatch.setattr(sandbox, "network_candidates", lambda: [mode])
    sandbox.no_network_prefix.cache_clear()
    try:
        sandbox.no_network_prefix()
    except sandbox.SandboxError as error:
        pytest.skip(f"this machine cannot use {mode[1:3]}: {error}")
    listener = socket.create_server(("127.0.0.1", 0))
    script, out = write_target(tmp_path, ESCAPE), tmp_path / "escape.json"
    try:
        result = check_target(script, args=(str(out), str(listener.getsockname()[1]), str(os.getpid())),
                              quiet=True, reconcile=False, no_network=True, timeout=60)
    finally:
        listener.close()
        sandbox.no_network_prefix.cache_clear()
    assert result.status == "ok", result.output
    seen = json.loads(out.read_text())
    assert seen["ns"] != os.readlink("/proc/self/ns/net") and not seen["connected"]
    assert len(seen["tried"]) == 3 and "joined" not in seen["tried"].values(), seen


def test_no_network_refuses_with_exit_2_when_it_cannot_be_kept(tmp_path, monkeypatch):
    from readkit.check import sandbox

    script = write_target(tmp_path, "print('ran')\n")
    monkeypatch.setattr(sandbox, "network_candidates", lambda: [("false",)])
    sandbox.no_network_prefix.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["check", str(script), "--no-network"])
    finally:
        sandbox.no_network_prefix.cache_clear()
    assert result.exit_code == 2 and "refusing to run the target with network access" in result.output
    assert "ran" not in result.output and "Traceback" not in result.output
