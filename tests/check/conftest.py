from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "check"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
