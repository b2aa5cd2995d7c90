"""docs/teaching.ipynb runs: its cells execute in order and render the way Jupyter shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebook.executor import SLOW_TAG, execute

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "teaching.ipynb"


def test_the_teaching_notebook_runs_and_renders_results_as_html() -> None:
    ran = execute(NOTEBOOK, skip_tags=frozenset({SLOW_TAG}))
    bundles = [bundle for _, _, bundle in ran if bundle]
    annotated, step = bundles[0], bundles[1]
    assert annotated["text/html"].startswith('<div class="rk-frag">')
    assert 'class="a r-optim"' in annotated["text/html"]
    assert "torch.optim.SGD" in annotated["text/html"] and "variable-wrapper" in annotated["text/html"]
    assert "**autograd.backward_of_sum**: PASS" in step["text/markdown"]
    printed = "".join(text for _, text, _ in ran)
    assert "[optim]" in printed  # print(result): the terminal view


@pytest.mark.slow
def test_the_whole_teaching_notebook_runs_including_readkit_check() -> None:
    ran = execute(NOTEBOOK)
    check_view = next(b for _, _, b in ran if b and "readkit check" in b.get("text/html", ""))
    assert "ok in" in check_view["text/html"] and "gradients-accumulate" in check_view["text/html"]
