"""The target's own nn.Modules: where each is built, how many, and their parameter counts, as
torch's own `nn.Module.parameters` counts them in a plain run of the same script (printed by it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from readkit.check import check_target
from readkit.check.observed import UnreadableResults, parse_observed
from readkit.render.check import to_json
from tests.check.conftest import FIXTURES

SCRIPT = FIXTURES / "modules" / "built_models.py"


@pytest.fixture(scope="module")
def checked():
    return check_target(SCRIPT, quiet=True, reconcile=False)


def _plain_counts() -> dict[str, tuple[int, int]]:
    """What torch counts in a plain run: `TiedNet 151 140` per printed line."""
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True,
                         cwd=SCRIPT.parent).stdout
    return {" ".join(line.split()[:-2]): (int(line.split()[-2]), int(line.split()[-1])) for line in out.splitlines()}


def test_each_place_a_model_is_built_with_its_counts_as_torch_counts_them(checked):
    plain = _plain_counts()
    sites = {(m.cls, m.line): m for m in checked.modules}
    assert checked.status == "ok" and set(sites) == {("TiedNet", 43), ("Block", 21), ("Block", 52)}
    model, block, spare = sites["TiedNet", 43], sites["Block", 21], sites["Block", 52]
    assert (model.parameters, model.trainable) == plain["TiedNet"]  # tied weight once, frozen bias, lazy layer
    assert (block.parameters, block.trainable, block.instances) == (*plain["Block"], 3)
    assert (spare.parameters, spare.trainable, spare.instances) == (*plain["spare Block"], 1)  # counted at exit
    assert all(m.path == str(SCRIPT) and m.class_path == str(SCRIPT) for m in checked.modules)


def test_the_targets_own_parameters_method_never_ran(checked):
    assert "parameters()" not in checked.output and checked.failure is None
    assert checked.instrumentation_errors == ()


def test_the_json_lists_the_modules(checked):
    modules = json.loads(to_json(checked))["modules"]
    assert {(m["class"], m["line"], m["parameters"], m["trainable"], m["instances"]) for m in modules} == {
        ("TiedNet", 43, 151, 140, 1), ("Block", 21, 20, 20, 3), ("Block", 52, 56, 56, 1)}


@pytest.mark.parametrize("modules", [
    '[{"class": "Net", "class_path": "a.py", "path": "a.py", "line": "3", "instances": 1}]',
    '[{"class": "Net", "class_path": "a.py", "path": "a.py", "line": 3}]',
    '[{"class": "Net", "class_path": "a.py", "path": "a.py", "line": 3, "instances": 1, "parameters": "many"}]',
    '{"Net": 3}',
])
def test_a_malformed_modules_entry_makes_the_results_unreadable(modules):
    with pytest.raises(UnreadableResults, match="'modules' has the wrong shape"):
        parse_observed(f'{{"modules": {modules}}}'.encode())


def test_modules_are_optional_and_may_be_uncounted():
    entry = '{"class": "Net", "class_path": "a.py", "path": "a.py", "line": 3, "instances": 2, "parameters": null}'
    assert parse_observed(b"{}")["modules"] == []
    assert parse_observed(f'{{"modules": [{entry}]}}'.encode())["modules"][0]["instances"] == 2
