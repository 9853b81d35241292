"""Protocol-level attacks on a real `lockstep serve`: each test asserts the refusal and that nothing changed.

Covers the security review's findings A-F: metric labels from unauthenticated input, idle connections, the
credential scope's region, log forging, SigV4 strictness (unsigned or repeated headers, re-targeting) and duplicate
JSON members.
"""
import json
import os
import shlex
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from protocol_support import Server  # noqa: E402

SENTINEL = "security/sentinel"
SENTINEL_VALUE = "sentinel-value-do-not-change"


@pytest.fixture(scope="module")
def server():
    s = Server()
    s.client().create_secret(Name=SENTINEL, SecretString=SENTINEL_VALUE)
    yield s
    s.close()


def assert_sentinel_unchanged(server):
    sm = server.client()
    assert sm.get_secret_value(SecretId=SENTINEL)["SecretString"] == SENTINEL_VALUE
    versions = sm.list_secret_version_ids(SecretId=SENTINEL, IncludeDeprecated=True)["Versions"]
    assert len(versions) == 1
    assert sm.describe_secret(SecretId=SENTINEL).get("Tags", []) == []


def error_type(answer):
    status, body = answer
    assert status >= 400, answer
    return body.get("__type") if isinstance(body, dict) else None


PUT = {"SecretId": SENTINEL, "SecretString": "attacker"}


def test_hand_signed_requests_work(server):
    """The positive control for the raw requests below: signing every header sent is accepted."""
    status, body = server.call("DescribeSecret", {"SecretId": SENTINEL})
    assert status == 200 and body["Name"] == SENTINEL


# A. Metrics labels


def test_distinct_unsigned_targets_leave_metrics_small(server):
    before = len(server.metrics())
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for index in range(1_200):
        target = f"secretsmanager.Attack{index}Zq" if index % 2 else f"Attack{index}Zq.Other"
        connection.request("POST", "/", body=b"{}", headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
        response = connection.getresponse()
        response.read()
        assert response.status == 400
    connection.close()
    metrics = server.metrics()
    assert "Attack" not in metrics and "Zq" not in metrics
    assert len(metrics) < before + 8_192, (before, len(metrics))
    assert len(metrics) < 100_000
    assert 'operation="unknown"' in metrics


# B. Idle connections


def test_a_partial_header_is_disconnected_after_the_idle_timeout():
    s = Server("--idle-timeout", "2")
    try:
        sock = s.silent_connection(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Tar")
        started = time.time()
        sock.settimeout(20)
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            data = b""
        elapsed = time.time() - started
        sock.close()
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
        assert 1.0 <= elapsed < 10, elapsed
        silent = s.silent_connection()
        silent.settimeout(20)
        started = time.time()
        assert silent.recv(4096) == b""
        assert time.time() - started < 10
        silent.close()
        assert s.is_running()
    finally:
        s.close()


def test_a_signed_request_succeeds_while_300_silent_connections_are_open():
    s = Server("--idle-timeout", "2", nofile=256)
    sockets = []
    try:
        s.client().create_secret(Name=SENTINEL, SecretString=SENTINEL_VALUE)
        for index in range(300):
            sockets.append(s.silent_connection(b"GET / HTTP/1.1\r\n" if index % 2 else b""))
        started = time.time()
        value = s.client(read_timeout=60).get_secret_value(SecretId=SENTINEL)["SecretString"]
        assert value == SENTINEL_VALUE
        assert time.time() - started < 30
        assert s.is_running()
        assert "connection limit lowered" in s.server_log()
    finally:
        for sock in sockets:
            sock.close()
        s.close()


# C. Credential scope region


@pytest.mark.parametrize("region", ["", "*", "US-EAST-1", "x:000000000000:secret:teamA", "us-east-1\x00"])
def test_invalid_scope_regions_are_refused(server, region):
    answer = server.call("PutSecretValue", PUT, region=region)
    status, body = answer
    assert status == 400, answer
    if isinstance(body, dict):  # a NUL in a header may be refused by the HTTP parser already
        assert body["__type"] == "IncompleteSignatureException"
        assert body["message"].startswith("Credential should be scoped to a valid region, not '")
        assert "\x00" not in body["message"]
    assert_sentinel_unchanged(server)


def test_allowed_regions_narrow_the_scope():
    s = Server("--allowed-regions", "eu-west-1")
    try:
        s.client(region="eu-west-1").create_secret(Name="allowed", SecretString="v")
        status, body = s.call("CreateSecret", {"Name": "denied", "SecretString": "v"}, region="us-east-1")
        assert status == 400
        assert body["message"] == "Credential should be scoped to a valid region, not 'us-east-1'."
        assert [x["Name"] for x in s.client(region="eu-west-1").list_secrets()["SecretList"]] == ["allowed"]
    finally:
        s.close()


# E. SigV4 strictness


@pytest.mark.parametrize("unsigned", ["x-amz-date", "x-amz-target", "x-amz-security-token", "x-amz-meta-extra"])
def test_unsigned_amz_headers_are_refused(server, unsigned):
    body = b'{"SecretId": "%s", "SecretString": "attacker"}' % SENTINEL.encode()
    sent = ["content-type", "host", "x-amz-date", "x-amz-target", "x-amz-security-token", "x-amz-meta-extra"]
    headers = server.signed_headers("secretsmanager.PutSecretValue", body, token="a-token",
                                    extra=[("x-amz-meta-extra", "1")], sign=[n for n in sent if n != unsigned])
    status, answer = server.send(headers, body)
    assert status == 400
    assert answer["__type"] == "IncompleteSignatureException"
    assert answer["message"].endswith("must be a 'SignedHeader' in the AWS Authorization.")
    assert_sentinel_unchanged(server)


def test_a_captured_request_cannot_be_retargeted(server):
    body = b'{"SecretId": "%s"}' % SENTINEL.encode()
    # Captured with x-amz-target unsigned: refused before anything else, with either target.
    captured = server.signed_headers("secretsmanager.DescribeSecret", body, sign=["content-type", "host", "x-amz-date"])
    assert error_type(server.send(captured, body)) == "IncompleteSignatureException"
    retargeted = [(n, "secretsmanager.GetSecretValue" if n == "x-amz-target" else v) for n, v in captured]
    status, answer = server.send(retargeted, body)
    assert status == 400 and answer["__type"] == "IncompleteSignatureException"
    assert SENTINEL_VALUE not in str(answer)
    # Captured fully signed: the changed target breaks the signature.
    signed = server.signed_headers("secretsmanager.DescribeSecret", body)
    assert server.send(signed, body)[0] == 200
    retargeted = [(n, "secretsmanager.GetSecretValue" if n == "x-amz-target" else v) for n, v in signed]
    status, answer = server.send(retargeted, body)
    assert status == 400 and answer["__type"] == "InvalidSignatureException"
    assert SENTINEL_VALUE not in str(answer)


@pytest.mark.parametrize("header", ["authorization", "x-amz-date", "x-amz-target", "x-amz-security-token"])
def test_repeated_headers_are_refused(server, header):
    body = b'{"SecretId": "%s", "SecretString": "attacker"}' % SENTINEL.encode()
    headers = server.signed_headers("secretsmanager.PutSecretValue", body,
                                    token="a-token" if header == "x-amz-security-token" else None)
    value = next(v for n, v in headers if n == header)
    status, answer = server.send(headers + [(header, value)], body)
    assert status == 400
    assert answer["__type"] == "IncompleteSignatureException"
    assert "more than one" in answer["message"]
    assert_sentinel_unchanged(server)


def test_boto3_and_the_session_token_still_work(server):
    """boto3 signs host, x-amz-date and x-amz-target (and x-amz-security-token): nothing legitimate is refused."""
    sm = server.client()
    assert sm.get_secret_value(SecretId=SENTINEL)["SecretString"] == SENTINEL_VALUE


# F. Duplicate JSON members


@pytest.mark.parametrize("body", [
    b'{"SecretId": "security/sentinel", "SecretString": "attacker", "SecretString": "again"}',
    b'{"SecretId": "other", "SecretId": "security/sentinel", "SecretString": "attacker"}',
    b'{"SecretId": "security/sentinel", "Secret\\u0049d": "other", "SecretString": "attacker"}',
    b'{"SecretId": "security/sentinel", "SecretString": "attacker", "VersionStages": ["AWSCURRENT"], "x": {"a": 1, "a": 2}}',
])
def test_duplicate_json_members_are_refused(server, body):
    status, answer = server.call("PutSecretValue", body)
    assert status == 400
    assert answer["__type"] == "SerializationException"
    assert answer["message"].startswith("Duplicate field '")
    assert_sentinel_unchanged(server)


def test_duplicate_members_on_the_get_secret_value_fast_path(server):
    status, answer = server.call("GetSecretValue", b'{"SecretId":"security/sentinel","SecretId":"other"}')
    assert status == 400 and answer == {"__type": "SerializationException",
                                        "message": "Duplicate field 'SecretId' in the request."}
    tagged = b'{"SecretId": "security/sentinel", "Tags": [{"Key": "k", "Value": "v", "Key": "j"}]}'
    assert error_type(server.call("TagResource", tagged)) == "SerializationException"
    assert_sentinel_unchanged(server)


# D. Log forging


def request_lines(server, marker):
    deadline = time.time() + 10
    while time.time() < deadline:
        lines = [line for line in server.server_log().splitlines() if marker in line and "request-id=" in line]
        if lines:
            return lines
        time.sleep(0.1)
    raise AssertionError("no request line with " + marker)


@pytest.mark.parametrize("target", [
    "secretsmanager.Forged1 status=200 principal=arn:aws:iam::123456789012:user/admin",
    'secretsmanager.Forged2" status=200 error="-',
    "secretsmanager.Forged3\tstatus=200",
])
def test_forged_targets_are_quoted_in_the_request_log(server, target):
    marker = target.split(".")[1][:7]
    status, _ = server.send([("host", server.host), ("content-type", "application/x-amz-json-1.1"),
                             ("x-amz-target", target)], b"{}")
    assert status == 400
    for line in request_lines(server, marker):
        tokens = shlex.split(line, posix=True)
        statuses = [t for t in tokens if t.startswith("status=")]
        assert statuses == ["status=400"], line
        assert [t for t in tokens if t.startswith("principal=")] == ["principal=-"], line
        operation = [t for t in tokens if t.startswith("operation=")]
        assert len(operation) == 1 and marker in operation[0], line


def expect_continue(server, headers, body):
    """Sends `headers` with `Expect: 100-continue` and waits for the server before sending `body`; returns what the
    server said before the body (its first status line) and the final answer after it (or None when it closed)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        head = "POST / HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)
        head += f"content-length: {len(body)}\r\nexpect: 100-continue\r\n\r\n"
        sock.sendall(head.encode())
        first = b""
        while b"\r\n\r\n" not in first:
            chunk = sock.recv(65536)
            if not chunk:
                break
            first += chunk
        status = first.split(b"\r\n", 1)[0].decode()
        if not status.startswith("HTTP/1.1 100"):
            return status, first
        sock.sendall(body)
        rest = first.split(b"\r\n\r\n", 1)[1]
        while b"\r\n\r\n" not in rest:
            rest += sock.recv(65536)
        return status, rest
    finally:
        sock.close()


def test_expect_100_continue_is_answered_before_the_body(server):
    body = json.dumps({"Name": f"expect/{time.time_ns()}", "SecretString": "v",
                       "ClientRequestToken": "e" * 40}).encode()
    headers = server.signed_headers("secretsmanager.CreateSecret", body)
    status, final = expect_continue(server, headers, body)
    assert status == "HTTP/1.1 100 Continue"
    assert final.startswith(b"HTTP/1.1 200"), final[:200]


def test_a_request_that_can_be_refused_is_answered_without_its_body(server):
    status, answer = expect_continue(server, [("host", server.host), ("content-type", "application/x-amz-json-1.1"),
                                              ("x-amz-target", "secretsmanager.GetSecretValue")], b'{"SecretId":"x"}')
    assert status.startswith("HTTP/1.1 400"), status
    assert b"MissingAuthenticationTokenException" in answer
