"""Jupyter views: results render as HTML (`_repr_html_`) and as text (`str`)."""

from __future__ import annotations

import re

from readkit.results.annotate import AnnotateResult, FileResult
from readkit.results.check import CheckResult
from tests.html.sample import ann


def test_file_result_renders_its_source_with_role_spans_tooltips_and_text_tags(train_result: FileResult) -> None:
    html = train_result._repr_html_()
    assert html.startswith('<div class="rk-frag"><style>')
    assert ".rk-frag .a.r-optim{background:#b7860b26" in html  # scoped: no style leaks into the notebook
    assert re.search(r'class="a r-optim" data-a=7 title="\[optim\] update parameters from their '
                     r'.grad\nevidence: inferred\nsymbol: torch.optim.SGD.step\nsee it run: readkit run-reference '
                     r'--step optim.train_logistic_regression"', html)
    assert '<span class="tag r-optim">optim</span>' in html
    assert "tensor 1 · autograd 2 · nn 3 · optim 2; 2 legacy idioms" in html
    assert "<script" not in html  # untrusted notebook outputs do not run scripts


def test_file_result_without_source_on_disk_lists_its_annotations() -> None:
    result = FileResult("<string>", (ann(1, 1, 12, "nn", "resolved", "torch.nn.Linear", "a layer"),))
    html = result._repr_html_()
    assert "line 1: <span class=\"a r-nn\"" in html and "[nn]</span> a layer <code>torch.nn.Linear</code>" in html


def test_annotate_result_of_one_file_shows_the_file_and_of_many_a_table(train_annotated: AnnotateResult) -> None:
    one = AnnotateResult(train_annotated.files[:1])
    assert one._repr_html_() == one.files[0]._repr_html_()
    table = train_annotated._repr_html_()
    assert "<strong>2 files</strong>" in table
    assert re.search(r"train\.py</td><td>1</td><td>2</td><td>3</td><td>2</td><td>0</td><td>0</td><td>2</td>", table)


def test_check_result_shows_outcome_problems_verdicts_and_shapes(train_run: CheckResult) -> None:
    html = train_run._repr_html_()
    assert "ok in 1.2 s, exit code 0" in html
    assert "train.py:10 <strong>gradients-accumulate</strong>" in html
    assert "annotations: 2 confirmed, 1 refuted" in html
    assert "<td>train.py:9</td><td><span class=\"tag r-nn\">nn</span><span class=\"tag r-tensor\">tensor</span>" \
           "</td><td>3</td><td>float32[4, 3] cpu, float32[] cpu</td>" in html


def test_str_is_the_terminal_text_view(train_result: FileResult) -> None:
    from readkit.render.annotate import to_text

    assert str(train_result) == to_text(train_result)
    assert "update parameters from their .grad" in str(train_result)
    assert "\x1b[" not in str(train_result)
