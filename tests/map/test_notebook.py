"""The map of a notebook (fixtures/map/notebook/sine_fit.ipynb): every item says its cell and
the line in that cell, as a reader finds it; `line` stays the line of the joined program."""

from __future__ import annotations

from readkit.render.map import to_text
from readkit.results.map import Location

from tests.map.conftest import fixture_map

NB = "sine_fit.ipynb"


def at(line: int, cell: int, cell_line: int) -> Location:
    return Location(NB, line, cell, cell_line)


def test_notebook_is_read_whole_with_its_magic():
    m = fixture_map("notebook")
    assert (m.files, m.problems) == (1, ())
    entry, = m.entry_points
    assert (entry.kind, entry.where) == ("notebook", at(1, 2, 1))  # cell 1 is markdown; `%matplotlib` is line 1


def test_model_loss_and_optimizer_are_placed_in_their_cells():
    m = fixture_map("notebook")
    model, = m.models
    assert (model.name, model.use, model.where, model.built_at) == ("SineMLP", "top-level", at(9, 5, 1), (at(17, 6, 1),))
    assert [(s.name, s.line) for s in model.submodules] == [("fc1", 12), ("fc2", 13)]
    assert [(c.kind, c.variable, c.where) for c in m.constructions] == [
        ("loss", "criterion", at(18, 6, 2)), ("optimizer", "optimizer", at(19, 6, 3))]


def test_training_loop_steps_report_cell_and_line():
    loop, = fixture_map("notebook").loops
    assert (loop.where, loop.function) == (at(21, 8, 2), None)
    assert [(s.kind, s.where.cell, s.where.cell_line) for s in loop.steps] == [
        ("zero_grad", 8, 3), ("forward", 8, 4), ("loss", 8, 5), ("backward", 8, 6), ("step", 8, 7)]


def test_evaluation_and_checkpoint_are_in_the_last_cell():
    m = fixture_map("notebook")
    assert [(u.kind, u.where) for u in m.uses] == [
        ("evaluation", at(28, 9, 1)), ("evaluation", at(29, 9, 2)), ("checkpoint-save", at(32, 9, 5))]


def test_text_says_cell_n_line_m_and_places_submodules_in_the_class_cell():
    text = to_text(fixture_map("notebook"))
    assert "\n1 file read\n" in text
    assert "  sine_fit.ipynb (cell 6, line 3)  optimizer = torch.optim.Adam  [step optim.sgd_optimizer]\n" in text
    assert "      sine_fit.ipynb (cell 8, line 6)  backward       loss.backward()\n" in text
    assert "      builds fc1=nn.Linear (cell 5, line 4), fc2=nn.Linear (cell 5, line 5)\n" in text
