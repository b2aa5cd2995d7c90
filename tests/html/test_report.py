"""The static HTML report, from hand-built results: pages, spans, data, pagination, runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from readkit.results.annotate import AnnotateResult, FileError, FileResult
from readkit.results.check import CheckResult
from readkit.render.html import page_name, write_report
from readkit.render.html.indexpage import FILES_PER_PAGE


def page_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="rk-data">(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match.group(1).replace("<\\/", "</"))


def file_html(out: Path, result: FileResult) -> str:
    return (out / page_name(result.path)).read_text(encoding="utf-8")


def test_report_is_an_index_a_page_per_file_and_static_files(train_annotated: AnnotateResult, tmp_path: Path) -> None:
    index = write_report(train_annotated, tmp_path / "report")
    assert index == tmp_path / "report" / "index.html"
    pages = sorted(p.name for p in (tmp_path / "report" / "files").iterdir())
    assert len(pages) == 2 and pages[0].startswith("py2.py-") and pages[1].startswith("train.py-")
    css = (tmp_path / "report" / "static" / "report.css").read_text()
    assert ".a.r-optim{background:#b7860b26" in css  # optim is "yellow" in readkit.roles
    assert (tmp_path / "report" / "static" / "report.js").stat().st_size > 1000


def test_pages_load_nothing_from_the_network(train_annotated: AnnotateResult, tmp_path: Path) -> None:
    write_report(train_annotated, tmp_path / "r")
    for page in (tmp_path / "r").rglob("*.html"):
        assert not re.search(r'(src|href)="(https?:)?//', page.read_text()), page


def test_index_counts_roles_and_legacy_per_file(train_annotated: AnnotateResult, tmp_path: Path) -> None:
    index = write_report(train_annotated, tmp_path / "r").read_text()
    assert "2 files, 8 PyTorch uses: tensor 1 · autograd 2 · nn 3 · optim 2" in index
    assert "2 legacy idioms (variable-wrapper 1, data-index-zero 1)" in index
    assert "1 could not be analyzed" in index
    row = re.search(r"<tr><td><a [^>]*>[^<]*train\.py</a>(.*?)</tr>", index).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == ["1", "2", "3", "2", "0", "0", "2", "analyzed"]
    assert "not analyzed: python2" in index


def test_annotated_spans_nest_and_carry_their_role(train_result: FileResult, tmp_path: Path) -> None:
    write_report(AnnotateResult((train_result,)), tmp_path / "r")
    line6 = re.search(r'<div class="l" id="L6">.*?</div>', file_html(tmp_path / "r", train_result)).group(0)
    text = re.sub(r"<[^>]+>", "", line6.split("<code>")[1].split("</code>")[0])
    assert text == "opt = torch.optim.SGD(model.parameters(), lr=0.01)"
    outer = line6.index('class="a r-optim" data-a=1>')
    inner = line6.index('class="a r-nn" data-a=2>')
    assert outer < inner < line6.index("lr")  # parameters() sits inside the SGD call's span
    assert '<b class="tag r-optim" data-a=1>optim</b>' in line6  # the role in text too


def test_source_is_escaped(train_result: FileResult, tmp_path: Path) -> None:
    write_report(AnnotateResult((train_result,)), tmp_path / "r")
    html = file_html(tmp_path / "r", train_result)
    assert "# &lt;old&gt; &amp; &quot;quoted&quot;" in html
    assert "<old>" not in html


def test_data_block_holds_explanations_evidence_symbols_and_reference_steps(
        train_result: FileResult, tmp_path: Path) -> None:
    write_report(AnnotateResult((train_result,)), tmp_path / "r")
    data = page_data(file_html(tmp_path / "r", train_result))
    s = data["strings"]
    line, role, evidence, symbol, message, _, step, verdict = data["ann"][7]
    assert (line, s[role], s[evidence], s[symbol], s[message]) == (
        11, "optim", "inferred", "torch.optim.SGD.step", "update parameters from their .grad")
    assert s[step] == "optim.train_logistic_regression" and verdict == -1
    legacy = data["legacy"][1]
    assert (legacy[0], s[legacy[1]], s[legacy[3]]) == (12, "data-index-zero", "loss.item()")
    assert len(s) == len(set(s))  # interned


def test_legacy_findings_are_listed_with_their_modern_form(train_result: FileResult, tmp_path: Path) -> None:
    write_report(AnnotateResult((train_result,)), tmp_path / "r")
    html = file_html(tmp_path / "r", train_result)
    assert '<a href="#L12">line 12</a>: <strong>data-index-zero</strong>' in html
    assert "→ <code>loss.item()</code>" in html


def test_a_run_adds_verdicts_observations_problems_and_rates(
        train_annotated: AnnotateResult, train_run: CheckResult, train_result: FileResult, tmp_path: Path) -> None:
    index = write_report(train_annotated, tmp_path / "r", run=train_run).read_text()
    assert "2/3 confirmed (66%)" in index
    assert "1 workflow problem: gradients-accumulate" in index
    html = file_html(tmp_path / "r", train_result)
    assert 'class="a r-autograd v-refuted" data-a=6>' in html
    assert '<span class="tag problem" data-p="0" tabindex="0">problem: gradients-accumulate</span>' in html
    assert "ran 3× · float32[4, 3] cpu" in html
    data = page_data(html)
    assert data["obs"]["9"] == [3, ["nn", "tensor"], ["float32[4, 3] cpu", "float32[] cpu"], ["torch.nn.Linear.forward"]]
    assert data["strings"][data["ann"][0][7]] == "confirmed"


def test_run_paths_match_annotate_paths_however_spelled(
        train_result: FileResult, train_run: CheckResult, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = FileResult("./train.py", train_result.annotations, train_result.legacy)
    index = write_report(AnnotateResult((relative,)), tmp_path / "r", run=train_run).read_text()
    assert "2/3 confirmed" in index


def test_large_repositories_get_paginated_indexes(tmp_path: Path) -> None:
    files = tuple(FileResult(f"pkg/mod_{i:04d}.py") for i in range(FILES_PER_PAGE * 2 + 1))
    write_report(AnnotateResult(files), tmp_path / "r")
    assert sorted(p.name for p in (tmp_path / "r").glob("index*.html")) == ["index-2.html", "index-3.html", "index.html"]
    first = (tmp_path / "r" / "index.html").read_text()
    assert first.count("<tr><td>") == FILES_PER_PAGE and 'href="index-3.html"' in first
    assert "mod_0000.py" in first and "mod_0200.py" not in first


def test_unreadable_source_is_said_on_the_page(tmp_path: Path) -> None:
    gone = FileResult(str(tmp_path / "gone.py"), error=FileError("unreadable", "Permission denied"))
    write_report(AnnotateResult((gone,)), tmp_path / "r")
    assert "cannot show" in file_html(tmp_path / "r", gone) and "Permission denied" in file_html(tmp_path / "r", gone)


def test_a_5000_line_file_stays_small_and_chunked(tmp_path: Path) -> None:
    from tests.html.sample import ann

    path = tmp_path / "big.py"
    code = "import torch\n" + "".join(f"x{i} = torch.zeros({i}).view(-1)\n" for i in range(5000))
    anns = tuple(ann(i + 2, 6 + len(str(i)), 20 + 2 * len(str(i)), "tensor", "resolved", "torch.zeros", "zeros")
                 for i in range(5000))
    write_report(AnnotateResult((FileResult(str(path), anns, source=code),)), tmp_path / "r")
    html = (tmp_path / "r" / page_name(str(path))).read_text()
    assert len(html.encode()) < 2_500_000
    assert html.count('<div class="chunk"><div style="counter-reset:line ') == 26
    assert '<div style="counter-reset:line 5000">' in html


def test_an_unchanged_file_page_is_not_rendered_again(tmp_path: Path, monkeypatch) -> None:
    import readkit.render.html as report

    first = FileResult(str(tmp_path / "a.py"), source="import torch\n")
    second = FileResult(str(tmp_path / "b.py"), source="x = 1\n")
    write_report(AnnotateResult((first, second)), tmp_path / "r")
    before = (tmp_path / "r" / page_name(second.path)).read_text()
    rendered = []
    real = report.file_page
    monkeypatch.setattr(report, "file_page", lambda result, *a, **k: rendered.append(result.path) or real(result, *a, **k))
    changed = FileResult(second.path, source="x = 2\n")
    write_report(AnnotateResult((first, changed)), tmp_path / "r")
    assert rendered == [changed.path]  # a.py's page was kept as it was
    assert (tmp_path / "r" / page_name(changed.path)).read_text() != before
    assert (tmp_path / "r" / page_name(first.path)).read_text().startswith("<!doctype html>\n<!-- readkit page ")
