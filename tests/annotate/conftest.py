"""Options for the annotator's tests: `--update-expected` rewrites fixture snapshots
(or set READKIT_UPDATE_EXPECTED=1); read the diff before committing."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-expected", action="store_true", default=False,
                     help="rewrite fixtures/annotate/*/expected.txt from the current annotator")


@pytest.fixture
def update_expected(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-expected")) or os.environ.get("READKIT_UPDATE_EXPECTED") == "1"
