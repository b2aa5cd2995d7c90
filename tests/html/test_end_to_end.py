"""The report over real annotator output: `readkit annotate PATH --html DIR`, notebooks included."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from readkit.cli import cli
from readkit.render.html import page_name

SCRIPT = """\
import torch
import torch.nn as nn

model = nn.Linear(5, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "train.py").write_text(SCRIPT, encoding="utf-8")
    node = nbformat.v4.new_notebook()
    node.cells = [nbformat.v4.new_markdown_cell("# A lesson\nWe build a **linear** layer."),
                  nbformat.v4.new_code_cell("%matplotlib inline\nimport torch\nfrom torch import nn"),
                  nbformat.v4.new_markdown_cell("Now the model:"),
                  nbformat.v4.new_code_cell("model = nn.Linear(5, 3)\nout = model(torch.randn(2, 5))")]
    nbformat.write(node, str(root / "lesson.ipynb"))
    return root


def test_annotate_html_writes_the_report(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["annotate", str(project), "--html", str(out)])
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2 files," in index and "lesson.ipynb</a>" in index and "train.py</a>" in index
    script_page = (out / page_name(str(project / "train.py"))).read_text(encoding="utf-8")
    line5 = re.search(r'<div class="l" id="L5">(.*?)</div>', script_page).group(1)
    optim_span = re.search(r'class="a r-optim" data-a=\d+>(.*?)</span>\(', line5).group(1)
    assert re.sub(r"<[^>]+>", "", optim_span) == "torch.optim.SGD"  # the span is the name, as annotated


def test_notebook_pages_show_cells_markdown_and_the_ignored_magics(project: Path, tmp_path: Path) -> None:
    from readkit.annotate import annotate_paths
    from readkit.render.html import write_report

    result = annotate_paths([project / "lesson.ipynb"])
    write_report(result, tmp_path / "r")
    html = (tmp_path / "r" / page_name(result.files[0].path)).read_text(encoding="utf-8")
    assert html.index("<h1>A lesson</h1>\n<p>We build a <strong>linear</strong> layer.</p>") < html.index("cell 2")
    assert html.index("cell 2") < html.index("<p>Now the model:</p>") < html.index("cell 4")
    assert '<span class="ipy" title="IPython syntax, shown as written (readkit analyzes what the kernel runs)">%matplotlib inline</span>' in html
    assert '"cells":[[2,1],[2,2],[2,3],[4,1],[4,2]]' in html  # the details say `cell 4, line 1`
    assert 'class="a r-nn"' in html


def test_check_report_annotates_the_files_the_run_names_once_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from readkit.results.check import AnnotationVerdict, CheckResult, LineObservation
    from readkit.check import annotate_run_files
    from readkit.render.html import write_check_report

    script = tmp_path / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = CheckResult(target="train.py", status="ok", exit_code=0, seconds=0.1,  # relative, as typed
                      lines=(LineObservation(str(script), 5, ("nn", "optim"), 2, (), ("torch.optim.SGD.__init__",)),),
                      annotations=(AnnotationVerdict(str(script), 5, "optim", "resolved", "confirmed"),))
    index = write_check_report(run, annotate_run_files(run), tmp_path / "r").read_text(encoding="utf-8")
    assert len(list((tmp_path / "r" / "files").iterdir())) == 1
    assert "1/1 confirmed (100%)" in index and "Run of <code>train.py</code>: ok" in index


def test_report_accepts_the_run_index_of_annotate_run(train_annotated, train_run, tmp_path: Path) -> None:  # noqa: ANN001
    from readkit.render.html import write_report
    from readkit.render.run_index import RunIndex

    index = write_report(train_annotated, tmp_path / "r", run=RunIndex.from_check(train_run)).read_text()
    assert "2/3 confirmed (66%)" in index
