"""The change feed, `GET /v1/changes`: SigV4-signed like every call, ordered, resumable, never a value, and showing a
caller only the secrets it may DescribeSecret. Against real `lockstep serve` processes (two nodes on PostgreSQL
when LOCKSTEP_TEST_STORE=postgres: a long poll on one node wakes for a write on the other)."""
import json
import threading
import time

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lockstep_server import Server, User, allow, deny, policy, unique, wait_for


def feed(url, key, secret, status=200, **params):
    """One signed GET /v1/changes; the decoded JSON (or the error body when `status` says so)."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    request = AWSRequest(method="GET", url=f"{url}/v1/changes" + (f"?{query}" if query else ""))
    SigV4Auth(Credentials(key, secret), "secretsmanager", "us-east-1").add_auth(request)
    response = requests.get(request.url, headers=dict(request.headers), timeout=60)
    assert response.status_code == status, response.text
    return response.json()


def admin_feed(server, url=None, **params):
    return feed(url or server.urls[0], server.access_key_id, server.secret_access_key, **params)


def changes_after(server, start, arn, count, url=None):
    """Reads the feed from `start` until `count` changes of `arn` have come (each poll waits up to 5 s)."""
    seen, cursor = [], start
    deadline = time.time() + 30
    while len(seen) < count and time.time() < deadline:
        page = admin_feed(server, url, after=cursor, wait=5)
        assert not page["Reset"]
        seen += [c for c in page["Changes"] if c["ARN"] == arn]
        cursor = page["NextSequence"]
    assert len(seen) >= count, seen
    return seen, cursor


def test_changes_come_in_order_with_labels_and_never_a_value(server):
    sm = server.client()
    start = admin_feed(server)["NextSequence"]
    name = unique("feed-")
    arn = sm.create_secret(Name=name, SecretString="first-value-SENTINEL")["ARN"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="second-value-SENTINEL", ClientRequestToken="a" * 32)["VersionId"]
    sm.update_secret_version_stage(SecretId=name, VersionStage="mine", MoveToVersionId=v2)
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    sm.restore_secret(SecretId=name)
    seen, _ = changes_after(server, start, arn, 5)
    assert [c["Event"] for c in seen[:5]] == ["SecretCreated", "ValuePut", "LabelsMoved", "DeletionScheduled", "SecretRestored"]
    sequences = [c["Sequence"] for c in seen]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    put = seen[1]
    assert put["Name"] == name and put["VersionId"] == v2 and put["Region"] == "us-east-1"
    assert put["VersionIdsToStages"][v2] == ["AWSCURRENT"]
    assert "AWSPREVIOUS" in next(labels for version, labels in put["VersionIdsToStages"].items() if version != v2)
    assert seen[2]["VersionIdsToStages"][v2] == ["AWSCURRENT", "mine"]
    assert "SENTINEL" not in json.dumps(seen)


def test_a_long_poll_answers_as_soon_as_a_change_commits(server):
    """The poll waits on one node; the change is made through another (the same one on SQLite)."""
    start = admin_feed(server)["NextSequence"]
    name = unique("feed-wake-")
    result = {}

    def poll():
        began = time.monotonic()
        result["page"] = admin_feed(server, server.urls[0], after=start, wait=20)
        result["elapsed"] = time.monotonic() - began

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)  # the poll is waiting: there is nothing to await from outside but its answer
    server.client(node=len(server.urls) - 1).create_secret(Name=name, SecretString="x")
    poller.join(timeout=30)
    assert "page" in result, "the long poll never answered"
    assert [c["Name"] for c in result["page"]["Changes"]] == [name]
    assert result["elapsed"] < 5, f"the poll took {result['elapsed']:.2f} s to hear of the change"


def test_a_caller_sees_only_the_secrets_it_may_describe(server):
    sm = server.client()
    hidden, shown = unique("feed-hidden-"), unique("feed-shown-")
    hidden_arn = sm.create_secret(Name=hidden, SecretString="h")["ARN"]
    user = User(server, unique("feed-user-"), policies=[policy(
        allow("secretsmanager:DescribeSecret"), deny("secretsmanager:DescribeSecret", hidden_arn))])
    start = feed(server.urls[0], user.key, user.secret)["NextSequence"]
    sm.put_secret_value(SecretId=hidden, SecretString="h2")
    shown_arn = sm.create_secret(Name=shown, SecretString="s")["ARN"]
    page = feed(server.urls[0], user.key, user.secret, after=start, wait=10)
    assert [c["ARN"] for c in page["Changes"]] == [shown_arn], page
    # The hidden change was read past: the next poll doesn't return to it.
    assert page["NextSequence"] >= page["Changes"][-1]["Sequence"]
    nobody = User(server, unique("feed-nobody-"), policies=[policy(allow("secretsmanager:GetRandomPassword"))])
    assert feed(server.urls[0], nobody.key, nobody.secret, after=start)["Changes"] == []


def test_bad_requests_are_refused_with_the_aws_error(server):
    url = server.urls[0]
    assert requests.get(f"{url}/v1/changes", timeout=10).status_code in (400, 403)
    for params in [{"after": "-1"}, {"after": "x"}, {"wait": "21"}, {"limit": "0"}, {"limit": "1001"},
                   {"after": "9" * 30}]:
        body = admin_feed(server, status=400, **params)
        assert body["__type"] == "ValidationException", body
    bad = feed(url, server.access_key_id, "not-the-secret", status=400)
    assert bad["__type"] in ("InvalidSignatureException", "UnrecognizedClientException")


def test_a_consumer_ahead_of_the_store_is_told_to_start_again(server):
    page = admin_feed(server, after=10**15)
    assert page["Reset"] is True and page["Changes"] == []
    assert page["NextSequence"] == admin_feed(server)["NextSequence"]


def test_the_feed_survives_a_restart_and_retention_bounds_it():
    """Sequences continue across a restart (a consumer resumes where it was); retention (here: keep the newest 3,
    applied at start and every minute) tells a consumer that fell behind it to start again."""
    s = Server("--change-retention-max", "3")
    try:
        sm = s.client()
        start = admin_feed(s)["NextSequence"]
        name = unique("feed-restart-")
        arn = sm.create_secret(Name=name, SecretString="v1")["ARN"]
        seen, cursor = changes_after(s, start, arn, 1)
        s.stop()
        s.start()
        sm = s.client()
        sm.put_secret_value(SecretId=name, SecretString="v2")
        resumed, _ = changes_after(s, cursor, arn, 1)
        assert resumed[0]["Event"] == "ValuePut" and resumed[0]["Sequence"] > seen[0]["Sequence"]
        for index in range(5):
            sm.put_secret_value(SecretId=name, SecretString=f"v{index + 3}")
        s.stop()
        s.start()
        wait_for(lambda: admin_feed(s, after=cursor)["Reset"], timeout=30, what="retention to prune the feed")
        newest = admin_feed(s)["NextSequence"]
        page = admin_feed(s, after=newest - 3)
        assert not page["Reset"] and page["NextSequence"] == newest
    finally:
        s.close()
