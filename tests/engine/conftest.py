"""Fixtures for the engine tests."""

from __future__ import annotations

import pytest
from support import DRIVERS, SAVERS, make_saver


@pytest.fixture(params=DRIVERS)
def driver(request) -> str:
    """'stream' or 'astream': every test taking it runs through both drivers."""
    return request.param


@pytest.fixture(params=SAVERS)
def saver(request, tmp_path):
    """A MemorySaver, then a SqliteSaver on a file."""
    return make_saver(request.param, tmp_path)


@pytest.fixture
def memory():
    from lockstep.checkpoint import MemorySaver

    return MemorySaver()
