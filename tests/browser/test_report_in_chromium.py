"""The HTML report in a real browser: loads cleanly, explains on hover and focus, the legend filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from readkit.results.annotate import AnnotateResult, FileResult
from readkit.results.check import CheckResult
from readkit.render.html import page_name, write_report

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = Path(__file__).parent / "screenshots"


@pytest.fixture
def report(train_annotated: AnnotateResult, train_run: CheckResult, tmp_path: Path) -> Path:
    return write_report(train_annotated, tmp_path / "report", run=train_run)


def open_file_page(page: Any, report: Path, result: FileResult) -> None:
    page.goto((report.parent / page_name(result.path)).as_uri())


def errors(page: Any) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in page.console_messages if kind in ("error", "pageerror", "warning")]


def test_index_and_file_pages_load_without_console_errors(page: Any, report: Path, train_result: FileResult) -> None:
    page.goto(report.as_uri())
    assert page.title() == "readkit report"
    with page.expect_navigation():
        page.click("table.files a:has-text('train.py')")
    assert page.locator("h1").inner_text().endswith("train.py")
    assert page.locator(".a").count() == 8
    assert errors(page) == []


def test_hovering_an_annotation_shows_its_explanation(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    page.hover('#L11 .a.r-optim')
    tip = page.locator("#tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert "update parameters from their .grad" in text
    assert "torch.optim.SGD.step" in text and "inferred" in text
    assert "readkit run-reference --step optim.train_logistic_regression" in text
    assert errors(page) == []


def test_keyboard_focus_shows_the_explanation_and_the_run(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    page.focus('#L9 .a.r-nn')
    page.keyboard.press("Enter")
    text = page.locator("#tip").inner_text()
    assert "calls the module's forward" in text and "confirmed" in text
    assert "3 torch calls; produced float32[4, 3] cpu" in text
    page.keyboard.press("Escape")
    assert not page.locator("#tip").is_visible()


def test_tab_reaches_annotations_in_reading_order(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    page.focus("#L5 .a")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.a") == "1"  # the SGD call on line 6


def test_legacy_tag_shows_the_modern_form(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    page.hover("#L12 .tag.legacy")
    text = page.locator("#tip").inner_text()
    assert "data-index-zero" in text and "loss.item()" in text


def test_the_legend_filters_roles(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    span = page.locator("#L11 .a.r-optim")
    coloured = span.evaluate("e => getComputedStyle(e).backgroundColor")
    assert coloured != "rgba(0, 0, 0, 0)"
    button = page.locator('.legend button[data-role="optim"]')
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert span.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert not page.locator("#L11 .tag.r-optim").is_visible()
    assert page.locator("#L9 .tag.r-nn").is_visible()  # other roles stay
    button.click()
    assert span.evaluate("e => getComputedStyle(e).backgroundColor") == coloured


def test_screenshot_for_a_person_to_look_at(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    page.hover('#L6 .a.r-optim')
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    shot = SCREENSHOT_DIR / "file-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_a_5000_line_page_opens_quickly_and_stays_usable(page: Any, tmp_path: Path) -> None:
    import time

    from tests.html.sample import ann

    path = tmp_path / "big.py"
    source = "import torch\n" + "".join(f"x{i} = torch.zeros({i}).view(-1)\n" for i in range(5000))
    path.write_text(source)
    anns = tuple(ann(i + 2, 5 + len(str(i)), 16 + len(str(i)), "tensor", "resolved", "torch.zeros", f"zeros {i}")
                 for i in range(5000))
    result = FileResult(str(path), anns, source=source)  # render shows the source the result carries
    write_report(AnnotateResult((result,)), tmp_path / "r")
    start = time.perf_counter()
    page.goto((tmp_path / "r" / page_name(str(path))).as_uri(), wait_until="load")
    loaded = time.perf_counter() - start
    page.locator("#L4900").scroll_into_view_if_needed()
    page.hover("#L4900 .a")
    assert "zeros 4898" in page.locator("#tip").inner_text()
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "line-4900.png"))  # the gutter should read 4900 by the hovered line
    assert loaded < 10, f"{loaded:.1f} s to load"  # generous: CI machines are shared
    assert errors(page) == []


def test_a_clicked_explanation_stays_open_to_copy_the_command(page: Any, report: Path, train_result: FileResult) -> None:
    open_file_page(page, report, train_result)
    page.click("#L11 .a.r-optim")
    page.mouse.move(5, 5)  # leaving the span keeps a pinned tip
    tip = page.locator("#tip")
    assert tip.is_visible()
    tip.locator("code").last.click()  # e.g. to select `readkit run-reference --step ...`
    assert tip.is_visible()
    page.click("h1")
    assert not tip.is_visible()


def test_a_notebook_page_reads_cell_by_cell(page: Any, tmp_path: Path) -> None:
    import nbformat

    from readkit.annotate import annotate_paths

    node = nbformat.v4.new_notebook()
    node.cells = [nbformat.v4.new_markdown_cell("# Lesson\nA *linear* layer."),
                  nbformat.v4.new_code_cell("%matplotlib inline\nimport torch"),
                  nbformat.v4.new_code_cell("layer = torch.nn.Linear(5, 3)")]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(node, str(path))
    result, = annotate_paths([path]).files  # the source, cells, markdown and IPython lines a page shows
    write_report(AnnotateResult((result,)), tmp_path / "r")
    page.goto((tmp_path / "r" / page_name(str(path))).as_uri())
    assert page.locator(".md h1").inner_text() == "Lesson"
    assert page.locator(".cellhead").all_inner_texts() == ["cell 2", "cell 3"]
    assert page.locator("#L1 .ipy").inner_text() == "%matplotlib inline"
    page.hover("#L3 .a.r-nn")
    assert "cell 3, line 1" in page.locator("#tip").inner_text()
    assert errors(page) == []
