"""Small shapes, one per test: what must be on the map, and what must not be (a wrong map is
worse than none)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from readkit.map import map_paths


def mapped(tmp_path: Path, code: str, name: str = "script.py"):
    (tmp_path / name).write_text(textwrap.dedent(code), encoding="utf-8")
    return map_paths([tmp_path], jobs=1)


def test_an_environment_step_is_not_an_optimizer_step(tmp_path):
    m = mapped(tmp_path, """
        import torch
        def play(env, policy):
            obs = env.reset()
            for t in range(100):
                loss = policy(torch.as_tensor(obs)).sum()
                loss.backward()
                obs, reward, done, info = env.step(0)
    """)
    assert m.loops == ()


def test_backward_without_a_step_is_not_a_training_loop(tmp_path):
    m = mapped(tmp_path, """
        import torch
        x = torch.ones(3, requires_grad=True)
        for i in range(3):
            (x * i).sum().backward()
    """)
    assert m.loops == ()


def test_epoch_loop_is_not_reported_twice_and_its_scheduler_shows_with_the_batch_loop(tmp_path):
    m = mapped(tmp_path, """
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, 1)
        for epoch in range(2):
            for x in torch.randn(4, 3, 2):
                opt.zero_grad()
                model(x).sum().backward()
                opt.step()
            sched.step()
    """)
    loop, = m.loops
    assert loop.where.line == 7
    assert [(s.kind, s.where.line) for s in loop.steps] == [
        ("zero_grad", 8), ("forward", 9), ("loss", 9), ("backward", 9), ("step", 10), ("scheduler-step", 11)]
    assert loop.steps[-1].note == "once per pass of the loop at line 6"


def test_accumulation_under_a_condition(tmp_path):
    m = mapped(tmp_path, """
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for i, x in enumerate(torch.randn(8, 3, 2)):
            loss = model(x).sum() / 4
            loss.backward()
            if (i + 1) % 4 == 0:
                opt.step()
                opt.zero_grad()
    """)
    loop, = m.loops
    assert loop.notes == ("gradient accumulation: backward runs every iteration, the optimizer steps only when "
                          "`(i + 1) % 4 == 0` (line 8)",)


def test_a_step_function_called_from_a_loop(tmp_path):
    m = mapped(tmp_path, """
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)

        def train_step(x):
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            return loss

        for x in torch.randn(5, 3, 2):
            train_step(x)
    """)
    loop, = m.loops
    assert (loop.where.line, loop.sure) == (13, True)
    assert [(s.kind, s.where.line, s.note) for s in loop.steps] == [
        ("zero_grad", 7, "in train_step()"), ("forward", 8, "in train_step()"),
        ("loss", 8, "in train_step(); computed inline, with no loss function"), ("backward", 9, "in train_step()"),
        ("step", 10, "in train_step()")]


def test_a_step_function_no_analyzed_loop_calls_is_probably_a_loop_body(tmp_path):
    m = mapped(tmp_path, """
        import torch
        class Trainer:
            def __init__(self, model):
                self.model = model
                self.opt = torch.optim.SGD(model.parameters(), lr=0.1)
            def training_step(self, x):
                self.opt.zero_grad()
                self.model(x).sum().backward()
                self.opt.step()
    """)
    loop, = m.loops
    assert (loop.where.line, loop.function, loop.sure) == (7, "Trainer.training_step", False)
    assert "not in the analyzed files" in (loop.why or "")


def test_a_user_loss_class_and_an_unbuilt_model(tmp_path):
    m = mapped(tmp_path, """
        import torch.nn as nn
        class FocalLoss(nn.Module):
            def forward(self, x, y):
                return (x - y).abs().mean()
        class Unused(nn.Module):
            pass
        criterion = FocalLoss()
    """)
    kinds = {x.name: (x.kind, x.use, x.sure) for x in m.models}
    assert kinds == {"FocalLoss": ("loss", "top-level", False), "Unused": ("model", "not-built", True)}
    loss, = m.built("loss")
    assert (loss.what, loss.where.line, loss.sure) == ("FocalLoss", 8, False)


def test_decorator_registry(tmp_path):
    m = mapped(tmp_path, """
        import torch.nn as nn
        REGISTRY = {}
        def register(name):
            def wrap(cls):
                REGISTRY[name] = cls
                return cls
            return wrap
        @register("tiny")
        class Tiny(nn.Module):
            pass
        def build(name):
            return REGISTRY[name]()
        model = build("tiny")
    """)
    tiny, = m.models
    assert (tiny.use, tiny.sure, [w.line for w in tiny.built_at]) == ("top-level", False, [13])
    assert "registry REGISTRY" in (tiny.why or "") and "'tiny'" in (tiny.why or "")


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "py2.py").write_text("print 'hello'\n", encoding="utf-8")
    m = mapped(tmp_path, "import torch\n")
    assert [p.path.endswith("py2.py") for p in m.problems] == [True]
    assert "Python 2" in m.problems[0].message


def test_a_package_init_that_calls_its_functions_is_not_an_entry_point(tmp_path):
    package = tmp_path / "optimizers"
    package.mkdir()
    code = """
        import torch
        def register(name):
            return name
        register("sgd")  # set-up at import time, as torch/optim/_multi_tensor/__init__.py does
    """
    m = mapped(package, code, name="__init__.py")
    assert m.entry_points == ()
    (package / "__init__.py").rename(package / "setup_models.py")
    assert [e.kind for e in map_paths([package], jobs=1).entry_points] == ["script"]  # run directly: a script
