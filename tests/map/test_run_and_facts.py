"""The annotator's facts the map is built on, and `--run` through `readkit check`."""

from __future__ import annotations

import textwrap
from pathlib import Path

from readkit.annotate.facts import facts_for_paths, facts_for_source
from readkit.map import map_paths


def test_facts_name_user_classes_by_file_and_follow_bases_across_files(tmp_path):
    (tmp_path / "base.py").write_text("import torch.nn as nn\nclass Base(nn.Module):\n    pass\n", encoding="utf-8")
    (tmp_path / "net.py").write_text("from base import Base\nclass Net(Base):\n    pass\nnet = Net()\nnet.eval()\n",
                                     encoding="utf-8")
    facts = {Path(f.path).name: f for f in facts_for_paths([tmp_path], jobs=1)}
    net, = facts["net.py"].classes
    assert (net.name, net.key, net.torch_base) == ("Net", f"{tmp_path.resolve() / 'net.py'}:Net", "torch.nn.Module")
    assert net.user_bases == (f"{tmp_path.resolve() / 'base.py'}:Base",)
    built, evaluated = facts["net.py"].calls
    assert built.span == (4, 6, 4, 11) and built.callee is not None and built.callee.user_class == net.key
    assert evaluated.receiver is not None and evaluated.receiver.user_class == net.key


def test_facts_of_a_syntax_error_is_an_error_not_an_exception(tmp_path):
    (tmp_path / "bad.py").write_text("def f(:\n", encoding="utf-8")
    found, = facts_for_paths([tmp_path], jobs=1)
    assert found.result.error is not None and found.result.error.kind == "syntax"


def test_dict_registry_values_are_class_refs():
    facts = facts_for_source("import torch.nn as nn\nclass A(nn.Module): pass\nR = {'a': A}\n", "/tmp/r.py")
    ref, = facts.class_refs
    assert ref.span[:2] == (3, 10) and ref.key.endswith("r.py:A")


def test_run_adds_losses_to_the_loop_that_ran_and_shapes_to_the_model(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)
            def forward(self, x):
                return self.fc(x)

        torch.manual_seed(0)
        model = Tiny()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.randn(8, 3), torch.randn(8, 2)
        for step in range(5):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
    """), encoding="utf-8")
    m = map_paths([tmp_path], jobs=1, run=script, timeout=120)
    assert m.run is not None and m.run.status == "ok" and len(m.run.losses) == 5
    loop, = m.loops
    assert loop.losses == m.run.losses and loop.losses[-1] < loop.losses[0]
    tiny, = m.models
    assert tiny.shapes[0] == "float32[8, 2] cpu"  # the first tensor made on `loss = ((model(x) - y) ** 2).mean()`
    assert (tiny.parameters, tiny.trainable) == (3 * 2 + 2, 3 * 2 + 2)  # nn.Linear(3, 2): weight and bias


def test_facts_label_a_file_exactly_as_annotate_does():
    """The facts walk repeats the engine's set-up; if the two drift apart, this fails."""
    from readkit.annotate import annotate_source

    from tests.map.conftest import FIXTURES

    for path in sorted(FIXTURES.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert facts_for_source(source, str(path)).result.annotations == annotate_source(source, str(path)).annotations
