"""Fixtures for the security suite: a real strict-mode `lockstep serve` (policies and audit on, no --dev), raw
SigV4-signed requests, and a sentinel secret whose value, versions and labels every refused attack must leave as
they were."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))

from lockstep_server import server  # noqa: E402,F401  (the session's server fixture)
from protocol_support import Sentinel  # noqa: E402


@pytest.fixture
def admin(server):
    return server.client()


@pytest.fixture
def sentinel(admin):
    return Sentinel(admin)
