"""Finding 5: a store that has data never gets a new root key. `serve`, `init` and every command refuse to start,
in one line naming the missing file, or the key that does not open the keyring."""
import base64
import os
import shutil
import subprocess
import tempfile

import pytest

from lockstep_server import ACCOUNT, LOCKSTEP, Server


@pytest.fixture
def used_directory():
    """A data directory that holds a store with a secret (made by a real server, then stopped)."""
    s = Server()
    s.client().create_secret(Name="kept", SecretString="kept-value")
    s.stop()
    data = os.path.join(tempfile.mkdtemp(prefix="lockstep-root-"), "data")
    shutil.copytree(os.path.join(s.directory, "data"), data)
    s.close()
    yield data
    shutil.rmtree(os.path.dirname(data), ignore_errors=True)


def run(*args, env=None):
    environment = dict(os.environ)
    environment.pop("LOCKSTEP_ROOT_KEY", None)
    environment.update(env or {})
    return subprocess.run([LOCKSTEP, *args], capture_output=True, text=True, timeout=60, env=environment)


COMMANDS = [
    ["serve", "--listen", "127.0.0.1:0"],
    ["init"],
    ["list-secrets"],
    ["audit", "verify"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c[0] != "audit" else "audit-verify")
def test_a_missing_root_key_is_never_replaced(used_directory, command):
    key_file = os.path.join(used_directory, "root.key")
    os.remove(key_file)
    result = run(*command, "--data-dir", used_directory)
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and key_file in error_lines[0] and "restore" in error_lines[0], result.stderr
    assert not os.path.exists(key_file), "a new root key was written"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c[0] != "audit" else "audit-verify")
def test_a_wrong_root_key_is_refused_by_name(used_directory, command):
    wrong = base64.b64encode(os.urandom(32)).decode()
    result = run(*command, "--data-dir", used_directory, env={"LOCKSTEP_ROOT_KEY": wrong})
    assert result.returncode != 0
    assert "LOCKSTEP_ROOT_KEY does not open the keyring" in result.stderr, result.stderr
    assert "tamper" not in result.stderr.lower()
    # The right key still opens everything: nothing was changed by the refusals.
    good = run("get-secret-value", "--secret-id", "kept", "--query", "SecretString", "--output", "text",
               "--data-dir", used_directory, "--account-id", ACCOUNT)
    assert good.stdout.strip() == "kept-value", good.stderr
