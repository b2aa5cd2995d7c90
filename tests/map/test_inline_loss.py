"""Forward and loss steps however a loop spells them (fixtures/map/inline_loss: one spelling per
file), read from the map's JSON (`readkit-map/1`): steps in the order they run, each at its line."""

from __future__ import annotations

import functools
import json

from click.testing import CliRunner

from readkit.cli import cli

from tests.map.conftest import FIXTURES


@functools.cache
def loops() -> dict[tuple[str, int], dict]:
    result = CliRunner().invoke(cli, ["map", str(FIXTURES / "inline_loss"), "--format", "json", "-j", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["schema"] == "readkit-map/1"
    return {(l["where"]["path"], l["where"]["line"]): l for l in document["loops"]}


def steps(path: str, line: int) -> list[tuple[str, int]]:
    return [(s["kind"], s["where"]["line"]) for s in loops()[path, line]["steps"]]


def note(path: str, line: int, kind: str) -> str:
    return next(s["note"] or "" for s in loops()[path, line]["steps"] if s["kind"] == kind)


def test_a_loss_function_around_the_model_call_runs_the_forward_first():
    assert steps("functional.py", 10) == [("zero_grad", 11), ("forward", 12), ("loss", 12), ("backward", 13),
                                          ("step", 14)]


def test_a_criterion_sent_straight_to_backward():
    assert steps("one_liner.py", 12) == [("zero_grad", 13), ("forward", 14), ("loss", 14), ("backward", 14),
                                         ("step", 15)]


def test_a_whole_step_on_one_line_with_the_loss_computed_inline():
    assert steps("semicolons.py", 9) == [("zero_grad", 10), ("forward", 10), ("loss", 10), ("backward", 10),
                                         ("step", 10)]
    assert note("semicolons.py", 9, "loss") == "computed inline, with no loss function"


def test_a_squared_error_written_out_and_its_amp_scaled_variant():
    assert steps("squared_error.py", 12) == [("zero_grad", 13), ("forward", 14), ("loss", 14), ("backward", 15),
                                             ("step", 16)]
    assert steps("squared_error.py", 18) == [("zero_grad", 19), ("forward", 20), ("loss", 20), ("backward", 20),
                                             ("step", 21), ("scaler-update", 22)]


def test_a_forward_pass_written_by_hand():
    assert steps("by_hand.py", 11) == [("forward", 12), ("loss", 13), ("backward", 14), ("step", 15)]
    assert note("by_hand.py", 11, "forward").startswith("written by hand: no nn.Module is called")


def test_parts_handed_in_are_named_probably():
    assert steps("handed_in.py", 4) == [("zero_grad", 5), ("forward", 6), ("loss", 6), ("backward", 6), ("step", 7)]
    assert note("handed_in.py", 4, "loss") == "probably: `objective` computes the value backward starts from"
    assert steps("handed_in.py", 11) == [("zero_grad", 12), ("loss", 13), ("backward", 14), ("step", 15)]
    assert "`compute_loss`" in note("handed_in.py", 11, "loss")


def test_every_spelling_gets_a_loss_and_each_but_the_returned_one_a_forward():
    for key, loop in loops().items():
        kinds = [s["kind"] for s in loop["steps"]]
        assert "loss" in kinds, key
        assert ("forward" in kinds) == (key != ("handed_in.py", 11)), key
        assert kinds.index("loss") < kinds.index("backward"), key
