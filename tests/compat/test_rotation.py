"""RotateSecret end to end: boto3 and the aws CLI against a real `lockstep serve` whose scheduler rotates real
PostgreSQL users, and `lockstep rotate` in the foreground. Logins are checked with psql, not with Lockstep's driver."""
import json
import os
import secrets
import subprocess
import tempfile

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import LOCKSTEP
from lockstep_server import wait_for

PG = {k: os.environ.get(f"LOCKSTEP_TEST_POSTGRES_{k}") for k in ("HOST", "PORT", "USER", "PASSWORD", "LOG")}
REQUIRED = os.environ.get("LOCKSTEP_REQUIRE_DATABASES") == "1"

if not all(PG.values()):
    if REQUIRED:
        raise RuntimeError("LOCKSTEP_REQUIRE_DATABASES=1 but LOCKSTEP_TEST_POSTGRES_* is not set: run scripts/testdb.sh")
    pytest.skip("needs scripts/testdb.sh start postgres", allow_module_level=True)

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:postgres-single-user"


def psql(sql, user=None, password=None):
    env = dict(os.environ, PGPASSWORD=password or PG["PASSWORD"], PGCONNECT_TIMEOUT="5")
    result = subprocess.run(
        ["psql", "-h", PG["HOST"], "-p", PG["PORT"], "-U", user or PG["USER"], "-d", "postgres", "-tAqc", sql],
        capture_output=True, text=True, env=env)
    return result.stdout.strip() if result.returncode == 0 else None


def logs_in(user, password):
    return psql("SELECT 1", user, password) == "1"


@pytest.fixture
def role():
    """A fresh PostgreSQL login role and its initial password."""
    name = "c" + secrets.token_hex(6)
    password = secrets.token_hex(12)
    assert psql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'") is not None
    yield name, password
    psql(f"DROP ROLE IF EXISTS {name}")


def secret_json(user, password):
    return json.dumps({"engine": "postgres", "host": PG["HOST"], "port": int(PG["PORT"]), "username": user,
                       "password": password, "dbname": "postgres", "note": "carried forward"})


def test_boto3_rotate_secret_rotates_a_postgres_user_through_the_scheduler(server, sm, name, role):
    user, initial = role
    created = sm.create_secret(Name=name, SecretString=secret_json(user, initial))
    response = sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION, RotationRules={"AutomaticallyAfterDays": 30})
    token = response["VersionId"]
    assert response["ARN"] == created["ARN"]
    described = wait_for(lambda: (d := sm.describe_secret(SecretId=name)).get("LastRotatedDate") and d)
    assert described["RotationEnabled"] is True
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert described["VersionIdsToStages"] == {token: ["AWSCURRENT"], created["VersionId"]: ["AWSPREVIOUS"]}
    days = (described["NextRotationDate"] - described["LastRotatedDate"]).total_seconds() / 86400
    assert 29 <= days <= 31

    value = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert value["username"] == user and value["note"] == "carried forward"
    assert value["password"] != initial
    assert logs_in(user, value["password"])
    assert not logs_in(user, initial)
    with open(PG["LOG"], "rb") as log:
        assert value["password"].encode() not in log.read()
    # The run is on /metrics, of whichever node ran it: counted by result and rotator, each step timed.
    def metrics():
        return "".join(requests.get(url + "/metrics", timeout=10).text for url in server.urls)
    wait_for(lambda: 'lockstep_rotations_total{result="succeeded",rotator="postgres-single-user"}' in metrics(),
             what="the rotation counted on /metrics")
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        assert f'lockstep_rotation_step_duration_seconds_count{{step="{step}",rotator="postgres-single-user",result="ok"}}' in metrics()


def test_unknown_functions_and_bad_rules_get_aws_errors(sm, name):
    sm.create_secret(Name=name, SecretString="{}")
    with pytest.raises(ClientError) as denied:
        sm.rotate_secret(SecretId=name, RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:nope")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "RotationEnabled" not in sm.describe_secret(SecretId=name)
    with pytest.raises(ClientError) as both:
        sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION,
                         RotationRules={"AutomaticallyAfterDays": 3, "ScheduleExpression": "rate(4 hours)"})
    assert both.value.response["Error"]["Message"] == \
        "You cannot specify both rotation frequency and schedule expression together."


def test_aws_cli_test_rotation_then_cancel(server, name, role):
    user, initial = role
    server.aws("create-secret", "--name", name, "--secret-string", secret_json(user, initial))
    rotated = server.aws_json("rotate-secret", "--secret-id", name, "--rotation-lambda-arn", FUNCTION,
                              "--rotation-rules", '{"ScheduleExpression": "cron(0 4 * * ? *)", "Duration": "3h"}',
                              "--no-rotate-immediately")
    # The test rotation runs testSecret on a temporary AWSPENDING copy, then removes it; the value is unchanged.
    wait_for(lambda: list(server.aws_json("describe-secret", "--secret-id", name)["VersionIdsToStages"].values())
             == [["AWSCURRENT"]])
    described = server.aws_json("describe-secret", "--secret-id", name)
    assert rotated["VersionId"] not in described["VersionIdsToStages"]
    assert "LastRotatedDate" not in described
    assert json.loads(server.aws_json("get-secret-value", "--secret-id", name)["SecretString"])["password"] == initial
    cancelled = server.aws_json("cancel-rotate-secret", "--secret-id", name)
    assert cancelled["Name"] == name
    described = server.aws_json("describe-secret", "--secret-id", name)
    assert described["RotationEnabled"] is False
    assert described["RotationRules"]["ScheduleExpression"] == "cron(0 4 * * ? *)"
    assert "NextRotationDate" not in described


@pytest.fixture
def lockstep():
    """The in-process CLI on a fresh data directory of its own: lockstep(*args, check=True) -> CompletedProcess."""
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, LOCKSTEP_DATA_DIR=directory)
        env.pop("LOCKSTEP_ROOT_KEY", None)
        env.pop("LOCKSTEP_DATABASE_CA_FILE", None)

        def run(*args, check=True):
            result = subprocess.run([LOCKSTEP, *args], capture_output=True, text=True, env=env, timeout=120)
            if check:
                assert result.returncode == 0, result.stderr
            return result

        run("init")
        yield run


def test_lockstep_rotate_runs_in_the_foreground_and_reports_each_step(role, lockstep):
    user, initial = role
    lockstep("create-secret", "--name", "app", "--secret-string", secret_json(user, initial))
    result = lockstep("rotate", "--secret-id", "app", "--rotation-lambda-arn", "postgres-single-user",
                      "--rotation-rules", "AutomaticallyAfterDays=7")
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        assert f"{step} done" in result.stdout
    assert "rotation succeeded" in result.stdout
    value = json.loads(json.loads(lockstep("get-secret-value", "--secret-id", "app").stdout)["SecretString"])
    assert logs_in(user, value["password"]) and not logs_in(user, initial)
    # No value ever reaches the CLI's output or the step report.
    assert value["password"] not in result.stdout + result.stderr
    status = json.loads(lockstep("rotation", "status").stdout)["Rotations"]
    assert [(s["Name"], s["Status"], s["RotationEnabled"]) for s in status] == [("app", "succeeded", True)]

    # A rotation that can't log in fails with its class and leaves AWSCURRENT alone.
    psql(f"ALTER ROLE {user} PASSWORD '{secrets.token_hex(8)}'")
    failed = lockstep("rotate", "--secret-id", "app", "--max-attempts", "1", check=False)
    assert failed.returncode == 1
    assert "setSecret failed (authentication)" in failed.stdout
    after = json.loads(json.loads(lockstep("get-secret-value", "--secret-id", "app").stdout)["SecretString"])
    assert after["password"] == value["password"]
    status = json.loads(lockstep("rotation", "status", "--secret-id", "app").stdout)["Rotations"][0]
    assert status["Status"] == "failed" and status["LastErrorClass"] == "authentication"


def test_ssl_true_verifies_the_database_certificate_against_the_configured_ca(role, lockstep):
    """A secret with "ssl": true connects with TLS only to a server whose certificate chains to the trusted CAs
    (--database-ca-file, else the system's) and names the host: the test server's certificate is signed by a
    throwaway CA, for "localhost" only."""
    ca = os.environ.get("LOCKSTEP_TEST_POSTGRES_CA")
    assert ca, "LOCKSTEP_TEST_POSTGRES_CA: scripts/testdb.sh gives the test server a certificate"
    user, initial = role
    def current_password():
        value = json.loads(json.loads(lockstep("get-secret-value", "--secret-id", "tls").stdout)["SecretString"])
        return value["password"]

    value = {"engine": "postgres", "host": "localhost", "port": int(PG["PORT"]), "username": user,
             "password": initial, "ssl": True}
    lockstep("create-secret", "--name", "tls", "--secret-string", json.dumps(value))
    # The system's CAs don't know the test CA: no connection, AWSCURRENT untouched.
    refused = lockstep("rotate", "--secret-id", "tls", "--rotation-lambda-arn", "postgres-single-user",
                       "--max-attempts", "1", check=False)
    assert refused.returncode == 1
    assert "setSecret failed" in refused.stdout and "certificate verify failed" in refused.stdout
    assert current_password() == initial and logs_in(user, initial)
    # Trusting the test CA, the same rotation completes over a verified connection.
    lockstep("rotate", "--secret-id", "tls", "--database-ca-file", ca)
    rotated = current_password()
    assert rotated != initial and logs_in(user, rotated) and not logs_in(user, initial)
    # ...but only for the name on the certificate: 127.0.0.1 is refused even with the right CA.
    value.update(host="127.0.0.1", password=rotated)
    lockstep("put-secret-value", "--secret-id", "tls", "--secret-string", json.dumps(value))
    mismatch = lockstep("rotate", "--secret-id", "tls", "--database-ca-file", ca, "--max-attempts", "1", check=False)
    assert mismatch.returncode == 1 and "does not match host name" in mismatch.stdout
    assert logs_in(user, rotated)
    with open(PG["LOG"], errors="replace") as log:
        assert f"user={user} database=postgres application_name=lockstep SSL enabled" in log.read()


def test_a_rotation_with_an_open_session_gets_a_connection_report_that_counts_it(role):
    """An application session of the user, open while the alternating-users rotator moves AWSCURRENT to the clone:
    the report counts it when the labels moved and after the grace period, and notes when it drained."""
    from lockstep_server import Server, lockstep as cli, unique
    user, password = role
    server = Server("--connection-report-grace", "1")
    application = None
    try:
        sm = server.client()
        master = sm.create_secret(Name=unique("report-master-"), SecretString=json.dumps({
            "engine": "postgres", "host": PG["HOST"], "port": int(PG["PORT"]), "username": PG["USER"],
            "password": PG["PASSWORD"], "dbname": "postgres"}))
        name = unique("report-")
        sm.create_secret(Name=name, SecretString=json.dumps({**json.loads(secret_json(user, password)), "masterarn": master["ARN"]}))
        # An idle session, as an application's pool holds: psql waiting for its next statement on stdin.
        application = subprocess.Popen(
            ["psql", "-h", PG["HOST"], "-p", PG["PORT"], "-U", user, "-d", "postgres", "-tAq"],
            env=dict(os.environ, PGPASSWORD=password), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_for(lambda: psql(f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{user}'") == "1",
                 what="the application's session")
        token = sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION.replace("single-user", "multi-user"))["VersionId"]
        wait_for(lambda: sm.describe_secret(SecretId=name)["VersionIdsToStages"].get(token) == ["AWSCURRENT"],
                 timeout=60, what="the rotation")

        def report():
            rotations = json.loads(cli(server, "rotation", "history", "--secret-id", name).stdout)["Rotations"]
            return rotations[0] if rotations and "AfterGracePeriod" in rotations[0] else None
        first = wait_for(report, timeout=60, what="the report after the grace period")
        assert first["VersionId"] == token and first["Strategy"] == "multi-user"
        assert first["PreviousUser"] == user and first["CurrentUser"] == user + "_clone"
        held = first["AtLabelMove"]["Users"]
        assert held[user]["Count"] == 1 and held[user]["OldestStart"] and held[user]["Clients"] == ["127.0.0.1"]
        assert held[user + "_clone"]["Count"] == 0
        assert first["AfterGracePeriod"]["Users"][user]["Count"] == 1
        assert "PreviousUserDrainedDate" not in first  # the session is still there
        application.stdin.close()  # the application disconnects
        application.wait(timeout=10)
        drained = wait_for(lambda: (r := report()) and "PreviousUserDrainedDate" in r and r, timeout=60,
                           what="the report to note the previous user's sessions drained")
        assert "which password" in drained["Note"]
    finally:
        if application and application.poll() is None:
            application.kill()
        server.close()
        psql(f"DROP ROLE IF EXISTS {user}_clone")
