"""Shared helpers of the crm-local / crm-testing tests."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TINY_SERVICE = FIXTURES / "tiny_service"


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A private temporary directory (not under pytest's basetemp, whose permissions
    pytest tightens again, while the embedded PostgreSQL needs its parents traversable)."""
    path = Path(tempfile.mkdtemp(prefix="crm-local-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
