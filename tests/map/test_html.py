"""`readkit map --html`: the map as the report's front page, each item a link to its line
in the annotated file pages, and with a run the loss curve drawn on it."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from click.testing import CliRunner

from readkit.cli import cli
from readkit.render.html import page_name, write_map_report
from readkit.render.map import loss_curve_svg
from readkit.results.annotate import AnnotateResult, FileResult
from readkit.results.map import Location, LoopStep, Model, RepoMap, RunSummary, TrainingLoop, Use

from tests.map.conftest import FIXTURES

SOURCE = "import torch\nmodel = torch.nn.Linear(2, 1)\nfor x in data:\n    loss = model(x).sum()\n    loss.backward()\n"
LINK = re.compile(r'href="(files/[^"#]+)#L(\d+)"')


def hand_map() -> RepoMap:
    """A map as readkit.map would give it for SOURCE (built by hand: render is tested alone)."""
    at = lambda line: Location("train.py", line)  # noqa: E731
    loop = TrainingLoop(at(3), "for x in data:", None, (LoopStep("loss", at(4), "loss = model(x).sum()"),
                                                         LoopStep("backward", at(5), "loss.backward()")),
                        sure=False, why="`data` is <unknown>", losses=(3.0, 2.0, 1.5))
    model = Model("Net", Location("gone.py", 9), "torch.nn.Module", "model", "not-built")
    use = Use("evaluation", "no_grad block", at(2), "with torch.no_grad():")
    return RepoMap("repo", 2, models=(model,), loops=(loop,), uses=(use,),
                   run=RunSummary("train.py", "ok", losses=(3.0, 2.0, 1.5)))


def test_front_page_links_each_item_to_its_line_and_draws_the_losses(tmp_path: Path) -> None:
    files = AnnotateResult((FileResult("train.py", source=SOURCE),))
    front = write_map_report(hand_map(), files, tmp_path / "report")
    html = front.read_text(encoding="utf-8")
    page = page_name("train.py")
    assert front == tmp_path / "report" / "index.html"
    assert f'<a class="w" href="{page}#L3">train.py:3</a> <code>for x in data:</code> (module level)' in html
    assert f'<a class="w" href="{page}#L5">train.py:5</a> backward       loss.backward()' in html
    assert "probably: `data` is &lt;unknown&gt;" in html  # escaped, never markup
    assert "<p class=\"summary\">2 files read · " in html
    assert '<span class="w">gone.py:9</span> Net: not built' in html  # a file with no page: no dead link
    assert loss_curve_svg((3.0, 2.0, 1.5)) in html and "loss at each backward, 3 steps" in html
    assert '<a href="files.html">all files, by role</a>' in html


def test_file_pages_and_the_table_lead_back_to_the_map(tmp_path: Path) -> None:
    files = AnnotateResult((FileResult("train.py", source=SOURCE),))
    write_map_report(hand_map(), files, tmp_path)
    file_page = (tmp_path / page_name("train.py")).read_text(encoding="utf-8")
    assert '<a href="../index.html">← map</a> · <a href="../files.html">all files</a>' in file_page
    assert '<div class="l" id="L5"><code>    loss.backward()' in file_page
    table = (tmp_path / "files.html").read_text(encoding="utf-8")
    assert '<a href="index.html">← map</a>' in table and f'<a href="{page_name("train.py")}">train.py</a>' in table


def test_cli_html_every_link_lands_on_a_line_that_exists(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["map", str(FIXTURES / "gan"), "--html", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["schema"] == "readkit-map/1"  # stdout is still the map
    html = (out / "index.html").read_text(encoding="utf-8")
    links = LINK.findall(html)
    assert len(links) >= 30 and {target for target, _ in links} == {page_name("dcgan.py")}
    pages = {target: (out / target).read_text(encoding="utf-8") for target, _ in links}
    for target, line in links:
        assert f'id="L{line}"' in pages[target]
    assert f'href="{page_name("dcgan.py")}#L85">dcgan.py:85</a> step           optimizerD.step()' in html
    assert 'id="L85"><code>            <span class="a r-optim"' in pages[page_name("dcgan.py")]


def test_cli_html_of_a_notebook_links_to_program_lines_and_shows_cells(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["map", str(FIXTURES / "notebook"), "--html", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    page = page_name("sine_fit.ipynb")
    assert f'href="{page}#L25">sine_fit.ipynb (cell 8, line 6)</a> backward       loss.backward()' in html
    assert 'id="L25"><code>    <span class="a r-autograd"' in (out / page).read_text(encoding="utf-8")


def test_cli_html_with_run_draws_the_loss_curve(tmp_path: Path) -> None:
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent("""
        import torch
        torch.manual_seed(0)
        w = torch.zeros(3, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1)
        x, y = torch.randn(16, 3), torch.randn(16)
        for step in range(6):
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            opt.step()
    """), encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["map", str(script), "--run", str(script), "--html", str(out),
                                      "--format", "json", "--timeout", "120"])
    assert result.exit_code == 0, result.output
    losses = tuple(json.loads(result.output)["run"]["losses"])
    assert len(losses) == 6 and losses[-1] < losses[0]
    html = (out / "index.html").read_text(encoding="utf-8")
    assert loss_curve_svg(losses) in html and "<h2>Run of" in html


def test_cli_html_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["map", str(FIXTURES / "tutorial"), "--html", str(blocker / "report")])
    assert result.exit_code == 2 and f"cannot write the report under {blocker / 'report'}" in result.output
