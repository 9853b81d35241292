"""Fixtures for the compatibility suite: one real `lockstep serve` for the session (tests/support/lockstep_server.py)."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))

from lockstep_server import ACCOUNT, LOCKSTEP, ROOT, Server, server  # noqa: E402,F401  (server: the session fixture)


@pytest.fixture
def sm(server):
    return server.client()


@pytest.fixture
def name(request):
    """A fresh secret name per test."""
    return f"compat/{request.node.name}/{time.time_ns()}"
