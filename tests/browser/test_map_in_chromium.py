"""`readkit map --html` in a real browser: the front page loads cleanly and its links land on the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from readkit.map import annotate_mapped_files, map_paths
from readkit.render.html import write_map_report

pytestmark = pytest.mark.browser

GAN = Path(__file__).resolve().parents[2] / "fixtures" / "map" / "gan"


@pytest.fixture
def map_report(tmp_path: Path) -> Path:
    return write_map_report(map_paths([GAN], jobs=1), annotate_mapped_files([GAN], jobs=1), tmp_path / "report")


def errors(page: Any) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in page.console_messages if kind in ("error", "pageerror", "warning")]


def test_map_front_page_link_opens_the_file_at_the_line(page: Any, map_report: Path) -> None:
    page.goto(map_report.as_uri())
    assert page.locator("h1").inner_text() == f"Map of {GAN}"
    step = page.locator(".map .ms", has_text="optimizerD.step()")
    with page.expect_navigation():
        step.locator("a.w").click()
    assert page.url.endswith("#L85")
    assert page.locator("h1").inner_text() == "dcgan.py"
    target = page.locator(".l:target")
    assert target.get_attribute("id") == "L85" and "optimizerD.step()" in target.inner_text()
    assert target.is_visible() and target.bounding_box()["y"] < 800  # scrolled into view
    with page.expect_navigation():
        page.click("header a:has-text('← map')")
    assert page.url == map_report.as_uri()
    assert errors(page) == []


def test_map_front_page_reaches_the_table_of_files(page: Any, map_report: Path) -> None:
    page.goto(map_report.as_uri())
    with page.expect_navigation():
        page.click("header a:has-text('all files, by role')")
    assert page.locator("table.files a").all_inner_texts() == ["dcgan.py"]
    assert errors(page) == []
