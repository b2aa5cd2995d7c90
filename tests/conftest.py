"""Suite-wide settings: the annotator's cache lives in a temporary folder, never the user's."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CACHE_DIR = tempfile.mkdtemp(prefix="readkit-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    os.environ["READKIT_CACHE_DIR"] = _CACHE_DIR  # subprocesses (the CLI, the checker) inherit it


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)
