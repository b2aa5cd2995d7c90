"""Each fixture's map, item by item, with its lines: what a reader of that code would write down."""

from __future__ import annotations

from readkit.results.map import RepoMap, TrainingLoop

from tests.map.conftest import fixture_map


def steps(loop: TrainingLoop) -> list[tuple[str, int]]:
    return [(s.kind, s.where.line) for s in loop.steps]


def model(repo_map: RepoMap, name: str):
    return next(m for m in repo_map.models if m.name == name)


def where(items) -> list[tuple[str, int]]:
    return [(i.where.path, i.where.line) for i in items]


# ---------------------------------------------------------------------- tutorial


def test_tutorial_model_and_its_layers():
    m = fixture_map("tutorial")
    net = model(m, "Net")
    assert (net.where.path, net.where.line, net.use, net.sure) == ("mnist.py", 12, "top-level", True)
    assert [(s.name, s.builds, s.line) for s in net.submodules] == [
        ("conv1", "nn.Conv2d", 15), ("conv2", "nn.Conv2d", 16), ("dropout", "nn.Dropout", 17),
        ("fc1", "nn.Linear", 18), ("fc2", "nn.Linear", 19)]
    assert [w.line for w in net.built_at] == [68]
    assert [x.name for x in m.models] == ["Net"]


def test_tutorial_training_loop_in_order_with_the_epoch_scheduler():
    m = fixture_map("tutorial")
    loops = {l.where.path: l for l in m.loops}
    assert set(loops) == {"mnist.py", "fit_line.py"}
    mnist = loops["mnist.py"]
    assert (mnist.where.line, mnist.function, mnist.sure) == (32, "train", True)
    assert steps(mnist) == [("zero_grad", 34), ("forward", 35), ("loss", 36), ("backward", 37), ("step", 38),
                            ("scheduler-step", 74)]
    assert "from the loop at mnist.py:71" in (mnist.steps[-1].note or "")
    assert mnist.notes == ()


def test_tutorial_manual_update_is_a_training_loop_without_an_optimizer():
    fit = next(l for l in fixture_map("tutorial").loops if l.where.path == "fit_line.py")
    assert (fit.where.line, fit.function) == (10, None)
    assert steps(fit) == [("forward", 11), ("loss", 12), ("backward", 13), ("step", 14)]  # the model is two tensors
    assert "written by hand" in (fit.steps[0].note or "") and "no loss function" in (fit.steps[1].note or "")
    assert "by hand" in (fit.steps[3].note or "")
    assert not any("zero_grad" in n for n in fit.notes)  # w.grad.zero_() clears them


def test_tutorial_constructions_with_what_they_are_given():
    m = fixture_map("tutorial")
    optimizer, = m.built("optimizer")
    assert (optimizer.what, optimizer.where.line, optimizer.variable) == ("torch.optim.Adadelta", 69, "optimizer")
    assert optimizer.given == ("params: model.parameters() (Net)", "lr=args.lr (not a literal)")
    scheduler, = m.built("scheduler")
    assert (scheduler.what, scheduler.where.line) == ("torch.optim.lr_scheduler.StepLR", 70)
    assert scheduler.given == ("optimizer: optimizer", "step_size=1", "gamma=0.7")
    loss, = m.built("loss")
    assert (loss.what, loss.where.line) == ("torch.nn.functional.nll_loss", 36)
    loaders = m.built("loader")
    assert [l.where.line for l in loaders] == [65, 66]
    assert loaders[0].given[0] == "dataset: train_set (= TensorDataset(images[:192], labels[:192]), line 64)"


def test_tutorial_entry_points_evaluation_and_checkpoint():
    m = fixture_map("tutorial")
    assert sorted((e.kind, e.where.path, e.where.line, e.sure) for e in m.entry_points) == [
        ("main-guard", "mnist.py", 78, True), ("script", "fit_line.py", 10, True)]
    assert [(u.kind, u.where.line) for u in m.uses if u.where.path == "mnist.py" and u.kind != "device"] == [
        ("evaluation", 44), ("evaluation", 46), ("checkpoint-save", 75)]
    assert [(u.kind, u.where.line) for u in m.uses if u.where.path == "fit_line.py"] == [("no-grad-update", 14)]
    assert m.reading_order[0].where.line == 78 and m.reading_order[1].what == "the model Net"


# ---------------------------------------------------------------------- GAN


def test_gan_two_models_two_optimizers_each_with_its_parameters():
    m = fixture_map("gan")
    assert [(x.name, x.where.line, x.use) for x in m.models] == [
        ("Generator", 13, "top-level"), ("Discriminator", 28, "top-level")]
    assert model(m, "Generator").submodules[0].builds == "nn.Sequential of nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU, nn.Tanh"
    d, g = m.built("optimizer")
    assert (d.variable, d.where.line, d.given) == ("optimizerD", 67, (
        "params: netD.parameters() (Discriminator)", "lr=0.0002", "betas=(0.5, 0.999)"))
    assert (g.variable, g.where.line, g.given[0]) == ("optimizerG", 68, "params: netG.parameters() (Generator)")
    assert [(c.what, c.where.line) for c in m.built("loss")] == [("torch.nn.BCELoss", 63)]


def test_gan_loop_updates_d_then_g():
    loop, = fixture_map("gan").loops
    assert (loop.where.line, loop.function) == (71, "main")
    assert steps(loop) == [
        ("zero_grad", 73), ("forward", 75), ("loss", 76), ("backward", 77), ("forward", 80), ("forward", 82),
        ("loss", 83), ("backward", 84), ("step", 85),
        ("zero_grad", 88), ("forward", 90), ("loss", 91), ("backward", 92), ("step", 93)]
    assert loop.notes == ("2 optimizers step in this loop: optimizerD, optimizerG",)


def test_gan_checkpoints_and_sampling():
    m = fixture_map("gan")
    assert [u.where.line for u in m.of_kind("checkpoint-save")] == [98, 99]
    assert [(u.what, u.where.line) for u in m.of_kind("evaluation")] == [("torch.no_grad block", 96)]


# ---------------------------------------------------------------------- GPT


def test_gpt_model_tree():
    m = fixture_map("gpt")
    assert [(x.name, x.where.line, x.use) for x in m.models] == [
        ("CausalSelfAttention", 22, "submodule"), ("MLP", 42, "submodule"), ("Block", 53, "submodule"),
        ("GPT", 66, "top-level")]
    gpt = model(m, "GPT")
    assert [w.path + ":" + str(w.line) for w in gpt.built_at] == ["train.py:57"]
    assert [(s.name, s.builds) for s in gpt.submodules] == [
        ("transformer", "nn.ModuleDict of nn.Embedding, nn.ModuleList, Block, nn.LayerNorm"), ("lm_head", "nn.Linear")]
    assert [(s.name, s.builds) for s in model(m, "Block").submodules] == [
        ("ln_1", "nn.LayerNorm"), ("attn", "CausalSelfAttention"), ("ln_2", "nn.LayerNorm"), ("mlp", "MLP")]


def test_gpt_loop_with_accumulation_amp_clipping_and_a_hand_made_schedule():
    loop, = fixture_map("gpt").loops
    assert (loop.where.path, loop.where.line, loop.function, loop.header) == ("train.py", 94, None, "while True:")
    assert steps(loop) == [
        ("lr-by-hand", 97), ("autocast", 107), ("forward", 108), ("accumulate", 109), ("backward", 111),
        ("unscale", 113), ("clip", 114), ("step", 115), ("scaler-update", 116), ("zero_grad", 117)]
    assert loop.notes[0] == ("gradient accumulation: backward runs in the inner loop at line 106 (micro-steps); "
                             "the optimizer steps once after it")
    assert any("GradScaler" in n for n in loop.notes) and any("autocast" in n for n in loop.notes)
    assert "probably" in (loop.steps[2].note or "")  # model may be compiled or DDP-wrapped: only its name is sure


def test_gpt_optimizer_built_in_configure_optimizers():
    m = fixture_map("gpt")
    inner, outer = m.built("optimizer")
    assert (inner.where.path, inner.where.line, inner.what, inner.sure) == ("model.py", 94, "torch.optim.AdamW", True)
    assert inner.given[0] == "params: groups (GPT)"
    assert (outer.where.path, outer.where.line, outer.variable, outer.sure) == ("train.py", 60, "optimizer", False)
    assert "builds torch.optim.AdamW at model.py:94" in (outer.why or "")
    scaler, = m.built("grad-scaler")
    assert (scaler.what, scaler.where.line) == ("torch.amp.GradScaler", 59)
    loss, = m.built("loss")
    assert (loss.what, loss.where.path, loss.where.line) == ("torch.nn.functional.cross_entropy", "model.py", 87)


def test_gpt_script_entry_eval_checkpoint_compile_distributed_devices():
    m = fixture_map("gpt")
    entry, = m.entry_points
    assert (entry.kind, entry.where.path, entry.sure, entry.runs) == ("script", "train.py", True, ("the loop at line 94",))
    assert [(u.kind, u.where.line) for u in m.uses if u.kind != "device"] == [
        ("distributed", 34), ("compile", 62), ("distributed", 64), ("evaluation", 68), ("evaluation", 71),
        ("state-dict", 103), ("checkpoint-save", 104), ("distributed", 124)]
    assert [u.where.line for u in m.of_kind("device")] == [27, 37, 58]


# ---------------------------------------------------------------------- multi-file project


def test_project_models_through_the_registry_are_probably_top_level():
    m = fixture_map("project")
    assert [(x.name, x.where.path, x.where.line, x.use, x.sure) for x in m.models] == [
        ("SmallCNN", "proj/models/cnn.py", 6, "top-level", False),
        ("ConvBlock", "proj/models/layers.py", 4, "submodule", True),
        ("MLP", "proj/models/mlp.py", 4, "top-level", False)]
    cnn = model(m, "SmallCNN")
    assert "registry MODELS (proj/models/__init__.py:4) under the name 'cnn'" in (cnn.why or "")
    assert [w.path + ":" + str(w.line) for w in cnn.built_at] == ["proj/models/__init__.py:10"]
    assert cnn.submodules[0].builds == "nn.Sequential of ConvBlock, nn.MaxPool2d"


def test_project_loop_in_another_file_than_its_scheduler():
    loop, = fixture_map("project").loops
    assert (loop.where.path, loop.where.line, loop.function) == ("proj/engine.py", 7, "train_one_epoch")
    assert [(s.kind, s.where.path, s.where.line) for s in loop.steps] == [
        ("zero_grad", "proj/engine.py", 9), ("forward", "proj/engine.py", 10), ("loss", "proj/engine.py", 11),
        ("backward", "proj/engine.py", 12), ("step", "proj/engine.py", 13), ("scheduler-step", "proj/train.py", 31)]
    assert "probably" in (loop.steps[2].note or "")  # loss_fn is a parameter: its name says loss


def test_project_entry_points_data_and_constructions():
    m = fixture_map("project")
    assert [(e.kind, e.name, e.where.path, e.where.line) for e in m.entry_points] == [
        ("console-script", "proj-train", "proj/train.py", 14), ("package-main", "proj/__main__.py", "proj/__main__.py", 1),
        ("main-guard", "proj/train.py", "proj/train.py", 36)]
    assert [(u.what, u.where.path, u.where.line) for u in m.of_kind("dataset")] == [("ToyImages", "proj/data.py", 5)]
    assert [(c.variable, c.where.line, c.given[0]) for c in m.built("loader")] == [
        ("train_loader", 23, 'dataset: train_set (= ToyImages(cfg["train_size"]), line 21)'),
        ("val_loader", 24, 'dataset: val_set (= ToyImages(cfg["val_size"], seed=1), line 22)')]
    assert [(c.kind, c.what, c.where.line) for c in m.constructions if c.where.path == "proj/train.py"] == [
        ("optimizer", "torch.optim.SGD", 25), ("scheduler", "torch.optim.lr_scheduler.CosineAnnealingLR", 26),
        ("loss", "torch.nn.CrossEntropyLoss", 27)]
    assert [(u.kind, u.where.path, u.where.line) for u in m.of_kind("evaluation")] == [
        ("evaluation", "proj/engine.py", 18), ("evaluation", "proj/engine.py", 20)]
