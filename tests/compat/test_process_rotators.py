"""Process rotators with the AWS Lambda contract, against a real `lockstep serve --rotators-dir tests/compat/rotators`.

Rotations are started with boto3's rotate_secret; the rotators (fixtures under rotators/) call the server back with
the aws CLI or boto3. Failures must leave AWSCURRENT intact, be recorded, and leak no secret value anywhere.
"""
import json
import os
import subprocess
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCOUNT, LOCKSTEP, ROOT, Server
from lockstep_server import stored_bytes, wait_for

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rotators")
SHIPPED = os.path.join(ROOT, "rotators")
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"


def lockstep_env(server):
    env = server.cli_env()
    if not server.store_uri:
        env.pop("LOCKSTEP_ROOT_KEY", None)
    env.pop("LOCKSTEP_ROTATORS_DIR", None)
    return env


def lockstep(server, *args, check=True):
    result = subprocess.run([LOCKSTEP, *args, "--data-dir", os.path.join(server.directory, "data"), "--account-id", ACCOUNT],
                            capture_output=True, text=True, env=lockstep_env(server), timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"lockstep {' '.join(args)} failed: {result.stdout} {result.stderr}")
    return result


def rotation_status(server, secret_id):
    return json.loads(lockstep(server, "rotation", "status", "--secret-id", secret_id).stdout)["Rotations"][0]


def wait_for_rotation(server, secret_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        entry = rotation_status(server, secret_id)
        if entry.get("Status") in ("succeeded", "failed"):
            return entry
        time.sleep(0.2)
    raise AssertionError(f"rotation of {secret_id} did not end: {entry}")


def rotation_keys(server):
    keys = json.loads(lockstep(server, "iam", "list-access-keys").stdout)["AccessKeyMetadata"]
    assert any(k["UserName"] == "admin" for k in keys)
    return [k for k in keys if k["UserName"] == "lockstep-rotation"]


def assert_not_in_data_directory(server, *needles):
    for name, content in stored_bytes(server).items():
        for needle in needles:
            assert needle.encode() not in content, f"{needle!r} found in {name}"


def processes_running(marker):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def rotating():
    s = Server("--rotators-dir", FIXTURES, "--retry-base-delay", "0.2", "--max-attempts", "1")
    yield s
    s.close()


@pytest.fixture
def name(request):
    """A fresh secret name per test (parametrized ids hold brackets, which names can't)."""
    return f"compat/{request.node.name.replace('[', '-').replace(']', '')}/{time.time_ns()}"


@pytest.fixture(scope="module")
def leaked():
    """Every secret value a failing rotator printed: the last test checks the server's output for them."""
    return []


def secret(rotating, name, tmp_path, password):
    trace = tmp_path / "trace"
    value = json.dumps({"username": "svc_user", "password": password, "trace": str(trace)})
    arn = rotating.client().create_secret(Name=name, SecretString=value)["ARN"]
    return arn, value, trace


@pytest.mark.parametrize("rotator", ["shell-aws-cli", "python-boto3"])
def test_a_process_rotator_runs_the_four_steps(rotating, name, tmp_path, rotator):
    sm = rotating.client()
    arn, value, trace = secret(rotating, name, tmp_path, "initial-Passw0rd")
    first = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    started = sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + rotator,
                               RotationRules={"AutomaticallyAfterDays": 30})
    entry = wait_for_rotation(rotating, arn)
    assert entry["Status"] == "succeeded", entry
    steps = trace.read_text().split()
    assert steps[:4] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    current = sm.get_secret_value(SecretId=arn)
    assert current["VersionId"] == started["VersionId"]
    new = json.loads(current["SecretString"])
    assert new["username"] == "svc_user" and new["password"] != "initial-Passw0rd" and len(new["password"]) >= 20
    assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == value
    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert stages == {started["VersionId"]: ["AWSCURRENT"], list(first)[0]: ["AWSPREVIOUS"]}
    # The rotator called the API with the credentials issued for its steps, each deleted after its step.
    # A role session scoped to this secret (see test_step_credentials_reach_only_the_rotated_secret).
    assert f"principal=arn:aws:sts::{ACCOUNT}:assumed-role/LockstepRotator/lockstep-rotation" in rotating.server_log()
    assert rotation_keys(rotating) == []
    if rotator == "shell-aws-cli":
        # A clean environment: nothing of the server's own (LOCKSTEP_BIN, the test runner's variables...).
        assert (tmp_path / "trace.env").read_text().split() == sorted([
            "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_PAGER", "AWS_REGION",
            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HOME", "LANG", "PATH", "PWD", "SECRETS_MANAGER_ENDPOINT"])
        home = (tmp_path / "trace.home").read_text().strip()
        assert home != os.environ.get("HOME") and not os.path.exists(home)  # A private HOME, removed afterwards.


def failing_rotation(rotating, name, tmp_path, rotator, password):
    sm = rotating.client()
    arn, value, _ = secret(rotating, name, tmp_path, password)
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=rotator)
    entry = wait_for_rotation(rotating, arn)
    assert entry["Status"] == "failed", entry
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == value  # AWSCURRENT is intact.
    assert password not in entry["LastError"]
    assert password not in rotating.server_log()
    assert_not_in_data_directory(rotating, password)
    assert rotation_keys(rotating) == []
    return entry


def test_a_rotator_that_exits_1_at_set_secret_fails_the_rotation(rotating, name, tmp_path, leaked):
    leaked.append("fail-Passw0rd-7f3a")
    entry = failing_rotation(rotating, name, tmp_path, "fail-at-set", leaked[-1])
    assert entry["LastErrorStep"] == "setSecret"
    assert entry["LastError"].endswith("exited with status 1: setSecret: the API service refused the new credentials")


def test_a_rotator_that_hangs_is_killed_with_its_process_group(rotating, name, tmp_path, leaked):
    leaked.append("hang-Passw0rd-91bc")
    started = time.time()
    entry = failing_rotation(rotating, name, tmp_path, LAMBDA_ARN + "hang", leaked[-1])
    assert time.time() - started < 30
    assert entry["LastErrorStep"] == "createSecret"
    assert "timed out after 1.5 s: createSecret: waiting for the API service" in entry["LastError"]
    assert processes_running("86397") == [] and processes_running("86398") == []


def test_a_rotator_that_prints_the_secret_has_it_redacted(rotating, name, tmp_path, leaked):
    leaked.append("leak-Passw0rd-c0ffee")
    entry = failing_rotation(rotating, name, tmp_path, "leaky", leaked[-1])
    error = entry["LastError"]
    assert entry["LastErrorStep"] == "createSecret"
    assert "password: <redacted>" in error
    assert "credentials: <redacted> <redacted>" in error
    assert "RuntimeError: cannot rotate <redacted>" in error
    assert "svc_user" not in error  # A string field of the JSON value, longer than 3 characters.


def test_step_credentials_reach_only_the_rotated_secret(rotating, name):
    sm = rotating.client()
    other = sm.create_secret(Name=name + "-other", SecretString="not for the rotator")["ARN"]
    arn = sm.create_secret(Name=name, SecretString=json.dumps({"other": other}))["ARN"]
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + "snooping")
    entry = wait_for_rotation(rotating, arn)
    assert entry["Status"] == "failed" and entry["LastErrorStep"] == "createSecret", entry
    assert "AccessDeniedException" in entry["LastError"], entry


def test_unknown_rotators_are_refused(rotating, name):
    sm = rotating.client()
    sm.create_secret(Name=name, SecretString="{}")
    with pytest.raises(Exception) as e:
        sm.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA_ARN + "no-such-rotator")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"


def secret_gauges(server, arn):
    """The per-secret rotation gauges of `arn` on /metrics (every node of a shared store shows the same)."""
    values = {}
    for url in server.urls:
        for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
            if line.startswith("lockstep_secret_rotation_") and f'arn="{arn}"' in line:
                metric = line.split("{", 1)[0].removeprefix("lockstep_secret_rotation_")
                value = float(line.rsplit(" ", 1)[1])
                # Every node reads the same rows; only the time since the rotation began moves between two reads.
                assert metric == "pending_seconds" or values.setdefault(metric, value) == value, (metric, url)
                values.setdefault(metric, value)
    return values


def test_a_failing_rotation_moves_the_per_secret_metrics_and_a_success_resets_them(rotating, name, tmp_path):
    sm = rotating.client()
    arn, _, _ = secret(rotating, name, tmp_path, "gauges-Passw0rd-1")
    rules = {"AutomaticallyAfterDays": 30}
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + "fail-at-set", RotationRules=rules)
    assert wait_for_rotation(rotating, arn)["Status"] == "failed"
    gauges = secret_gauges(rotating, arn)
    assert gauges["consecutive_failures"] == 1 and gauges["pending_seconds"] == 0 and "last_success_timestamp_seconds" not in gauges
    assert gauges["next_timestamp_seconds"] > time.time()
    # Another RotateSecret re-drives the unfinished rotation (AWS: "That rotation will be reattempted").
    with pytest.raises(ClientError):
        sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + "fail-at-set")
    wait_for(lambda: secret_gauges(rotating, arn)["consecutive_failures"] == 2, timeout=60, what="the second failure counted")
    assert rotation_status(rotating, arn)["ConsecutiveFailures"] == 2
    # The operator drops the failed attempt's AWSPENDING and rotates with a working rotator.
    pending = rotation_status(rotating, arn)["VersionId"]
    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=pending)
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + "python-boto3")
    assert wait_for_rotation(rotating, arn)["Status"] == "succeeded"
    gauges = secret_gauges(rotating, arn)
    assert gauges["consecutive_failures"] == 0 and gauges["pending_seconds"] == 0
    assert abs(gauges["last_success_timestamp_seconds"] - time.time()) < 120


def test_the_server_output_holds_no_secret(rotating, leaked):
    rotating.stop()
    output = rotating.process.stdout.read() + rotating.server_log()
    for password in leaked:
        assert password not in output


def test_the_shipped_example_rotates_an_api_key(tmp_path, name):
    server = Server("--rotators-dir", SHIPPED, "--max-attempts", "1")
    try:
        sm = server.client()
        keys_file = tmp_path / "keys.json"
        keys_file.write_text(json.dumps({"billing": ["old-key-0123456789"], "other": ["x"]}))
        value = {"client_id": "billing", "api_key": "old-key-0123456789", "keys_file": str(keys_file)}
        arn = sm.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
        for rotation in (1, 2):
            sm.rotate_secret(SecretId=arn, RotationLambdaARN="example-api-key")
            entry = wait_for_rotation(server, arn)
            assert entry["Status"] == "succeeded", entry
            current = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
            previous = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"])
            assert len(current["api_key"]) == 40 and current["api_key"] != previous["api_key"]
            # The service accepts the new key and the previous one, nothing older; other clients are untouched.
            assert json.loads(keys_file.read_text()) == {"billing": [previous["api_key"], current["api_key"]], "other": ["x"]}
    finally:
        server.close()


def test_lockstep_rotate_runs_a_process_rotator_with_its_own_callback_server(tmp_path):
    server = Server("--rotators-dir", FIXTURES)
    server.stop()  # Only its data directory is used: `lockstep rotate` serves the rotator itself.
    try:
        trace = tmp_path / "trace"
        value = json.dumps({"username": "svc_user", "password": "rotate-Passw0rd", "trace": str(trace)})
        lockstep(server, "create-secret", "--name", "cli/rotated", "--secret-string", value)
        result = lockstep(server, "rotate", "--secret-id", "cli/rotated", "--rotation-lambda-arn", "python-boto3",
                          "--rotators-dir", FIXTURES, "--max-attempts", "1", check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "rotation succeeded" in result.stdout
        assert trace.read_text().split() == ["createSecret", "setSecret", "testSecret", "finishSecret"]
        assert "rotate-Passw0rd" not in result.stdout + result.stderr
    finally:
        server.close()

