"""The worked example of docs/teaching.md, run by pytest's own pytester: it passes and fails as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "teaching.md"


def doc_files() -> dict[str, str]:
    """The ```python file=NAME blocks of docs/teaching.md."""
    blocks = re.findall(r"```python file=(\S+)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return dict(blocks)


def test_the_doc_holds_the_three_example_files() -> None:
    assert sorted(doc_files()) == ["student_forgot_zero_grad.py", "student_train.py", "test_course.py"]


def test_the_plugin_is_registered_and_its_fixtures_exist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin_fixtures_exist="""
        from readkit.pytest_plugin import CourseChecker

        def test_fixtures(readkit_check, readkit_reference, request):
            assert isinstance(readkit_check, CourseChecker)
            assert callable(readkit_reference)
            assert "readkit" in request.config.pluginmanager.list_name_plugin().__repr__()
    """)
    # pytest-asyncio (the language-server tests) is not needed here; without an ini it warns
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(passed=1)


@pytest.fixture(scope="module")
def checker_works(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = tmp_path_factory.mktemp("probe") / "probe.py"
    script.write_text("import torch\nx = torch.ones(2) + 1\n", encoding="utf-8")
    from readkit.check import check_target

    result = check_target(script, quiet=True, timeout=120)
    assert result.status == "ok", (result.status, result.failure)


@pytest.mark.slow
def test_worked_example_passes_and_fails_as_documented(pytester: pytest.Pytester, checker_works: None) -> None:
    for name, text in doc_files().items():
        pytester.path.joinpath(name).write_text(text, encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_course.py")
    result.assert_outcomes(passed=2, failed=1)
    output = result.stdout.str()
    assert re.search(r"FAILED test_course.py::test_forgotten_zero_grad_is_caught", output)
    assert "workflow problem(s) in" in output and "[gradients-accumulate]" in output


@pytest.mark.slow
def test_a_training_function_runs_under_check(tmp_path: Path, checker_works: None) -> None:
    from readkit.pytest_plugin import CourseChecker, assert_line_role, assert_no_workflow_problems
    from tests.plugin.student_functions import train

    result = CourseChecker(tmp_path).function(train, 3, lr=0.5)
    assert_no_workflow_problems(result)
    assert_line_role(result, None, "loss = nn.functional.cross_entropy", "nn", shape=())
    assert_line_role(result, None, "x, y = torch.randn", "tensor", shape=("B", 4))
