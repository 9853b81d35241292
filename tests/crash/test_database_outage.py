"""A database outage longer than the retry budget in the middle of a rotation: the rotation ends failed but safe
(AWSCURRENT still logs in), says so in `lockstep rotation status` and DescribeSecret, and once the database is back a
later RotateSecret re-drives the same token to completion.
"""
import json
import os
import sys
import time

import pytest

from harness import ROOT, DataDirectory, Database, MissingDatabase, Server, lifecycle_events, random_word
from matrix import holder

sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from relay import Relay  # noqa: E402

SECRET = "outage/db"


@pytest.fixture
def postgres():
    try:
        db = Database("postgres")
    except MissingDatabase as error:
        if os.environ.get("LOCKSTEP_REQUIRE_DATABASES") == "1":
            pytest.fail(str(error))
        pytest.skip(str(error))
    db.prepare()
    return db


def status(directory):
    return directory.cli_json("rotation", "status", "--secret-id", SECRET)["Rotations"][0]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_outage_longer_than_the_retries_fails_safe_and_a_later_rotation_completes(postgres, capsys):
    db = postgres
    user, password = "outage_" + random_word(8), random_word(24)
    db.create_user(user, password)
    relay = Relay(db.port)
    directory = DataDirectory()
    server = Server(directory, "--retry-base-delay", "0.3", "--max-attempts", "3", "--database-connect-timeout", "1",
                    "--rotation-lease", "5")
    try:
        relay.start()
        client = server.client()
        original = client.create_secret(Name=SECRET, SecretString=db.secret_json(user, password, port=relay.port))["VersionId"]
        relay.stop()  # the database goes away; createSecret needs only the store, setSecret needs the database
        token = client.rotate_secret(SecretId=SECRET, RotationLambdaARN="postgres-single-user",
                                     RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]

        failed = wait_for(lambda: (s := status(directory))["Status"] == "failed" and s, 60, "the rotation to fail")
        assert failed["Step"] == "setSecret" and failed["Attempts"] == 3
        assert failed["LastErrorClass"] == "network" and failed["VersionId"] == token
        assert password not in str(failed)
        # Failed but safe: AWSCURRENT is untouched and logs in; AWSPENDING stays on the half-done version (as on AWS).
        current = client.get_secret_value(SecretId=SECRET)
        assert current["VersionId"] == original and db.logs_in(secret_of(current), port=db.port)
        described = client.describe_secret(SecretId=SECRET)
        assert described["VersionIdsToStages"][original] == ["AWSCURRENT"]
        assert described["VersionIdsToStages"][token] == ["AWSPENDING"]
        assert described["RotationEnabled"] is True and "LastRotatedDate" not in described
        assert "NextRotationDate" in described  # the next window re-drives it
        assert ("RotationFailed", token) in lifecycle_events(server.log())

        relay.start()  # the database is back
        with pytest.raises(client.exceptions.InvalidRequestException, match="previous rotation isn't complete"):
            client.rotate_secret(SecretId=SECRET)  # AWS: "That rotation will be reattempted" (same token)
        wait_for(lambda: holder(client.describe_secret(SecretId=SECRET)["VersionIdsToStages"], "AWSPENDING") is None,
                 60, "the re-driven rotation to finish")
        stages = client.describe_secret(SecretId=SECRET)["VersionIdsToStages"]
        assert stages[token] == ["AWSCURRENT"] and stages[original] == ["AWSPREVIOUS"]
        final = secret_of(client.get_secret_value(SecretId=SECRET))
        assert db.logs_in(final, port=db.port) and db.logs_in(final, port=relay.port)
        assert status(directory)["Status"] == "succeeded"
        events = [name for name, version in lifecycle_events(server.log()) if version == token]
        assert events[-2:] == ["RotationFailed", "RotationSucceeded"], events
        with capsys.disabled():
            print(f"\n\nDatabase outage: failed after {failed['Attempts']} attempts at {failed['Step']} "
                  f"({failed['LastErrorClass']}), AWSCURRENT kept working; re-driven by RotateSecret: {events}")
    finally:
        server.stop()
        relay.stop()
        db.drop_users(user)
        directory.remove()


def secret_of(response):
    return json.loads(response["SecretString"])
