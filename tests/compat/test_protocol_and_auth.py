"""The wire protocol and SigV4 authentication, with raw HTTP requests signed (or not) by botocore."""
import datetime
import json
import signal
import subprocess
import time

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import Server


def raw(server, operation, body, key=None, secret=None, sign=True, region="us-east-1", tamper=None, when=None):
    """POSTs a JSON 1.1 request; signs it with botocore unless told not to."""
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"}
    request = AWSRequest(method="POST", url=server.url + "/", data=data, headers=headers)
    if sign:
        auth = SigV4Auth(Credentials(key or server.access_key_id, secret or server.secret_access_key), "secretsmanager", region)
        if when is not None:
            # botocore takes the signing time from datetime.utcnow; sign "in the past" by patching its clock.
            import botocore.auth as botocore_auth
            real = botocore_auth.datetime.datetime

            class Clock(real):
                @classmethod
                def utcnow(cls):
                    return when

                @classmethod
                def now(cls, tz=None):
                    return when.replace(tzinfo=tz) if tz else when

            botocore_auth.datetime.datetime = Clock
            try:
                auth.add_auth(request)
            finally:
                botocore_auth.datetime.datetime = real
        else:
            auth.add_auth(request)
    prepared = request.prepare()
    body_bytes = prepared.body if tamper is None else tamper(prepared.body)
    return requests.post(server.url + "/", data=body_bytes, headers=dict(prepared.headers), timeout=30)


def assert_error(response, status, code, message_part=None):
    assert response.status_code == status, response.text
    shape = response.json()
    assert shape["__type"] == code, shape
    if message_part:
        assert message_part in shape["message"]
    assert response.headers["x-amzn-RequestId"]


def exists(sm, name):
    try:
        sm.describe_secret(SecretId=name)
        return True
    except sm.exceptions.ResourceNotFoundException:
        return False


def test_a_signed_request_succeeds_and_has_a_request_id(server, sm, name):
    response = raw(server, "CreateSecret", {"Name": name, "SecretString": "x", "ClientRequestToken": "a" * 32})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert len(response.headers["x-amzn-RequestId"]) == 36
    assert response.json()["VersionId"] == "a" * 32
    described = raw(server, "DescribeSecret", {"SecretId": name}).json()
    assert isinstance(described["CreatedDate"], (int, float))
    assert "Description" not in described and "DeletedDate" not in described


@pytest.mark.parametrize("case", ["unsigned", "wrong-secret", "unknown-key", "tampered-body", "ten-minutes-old"])
def test_bad_signatures_are_refused_before_the_service(server, sm, name, case):
    body = {"Name": name, "SecretString": "should-not-exist", "ClientRequestToken": "b" * 32}
    if case == "unsigned":
        response = raw(server, "CreateSecret", body, sign=False)
        assert_error(response, 400, "MissingAuthenticationTokenException")
    elif case == "wrong-secret":
        response = raw(server, "CreateSecret", body, secret="wrong" * 8)
        assert_error(response, 400, "InvalidSignatureException", "does not match")
    elif case == "unknown-key":
        response = raw(server, "CreateSecret", body, key="AKIAUNKNOWNUNKNOWN00")
        assert_error(response, 400, "UnrecognizedClientException", "security token")
    elif case == "tampered-body":
        response = raw(server, "CreateSecret", body, tamper=lambda b: b.replace(b"should-not-exist", b"should-not-exiss"))
        assert_error(response, 400, "InvalidSignatureException")
    else:
        when = datetime.datetime.utcnow() - datetime.timedelta(minutes=10)
        response = raw(server, "CreateSecret", body, when=when)
        assert_error(response, 400, "InvalidSignatureException", "Signature expired")
    assert not exists(sm, name)


def test_protocol_errors(server, name):
    assert_error(raw(server, "CreateSecret", b"{not json"), 400, "SerializationException")
    assert_error(raw(server, "CreateSecret", {"Name": 42}), 400, "SerializationException")
    assert_error(raw(server, "NoSuchOperation", {}), 400, "UnknownOperationException")
    assert_error(raw(server, "GetSecretValue", {}), 400, "InvalidParameterException", "SecretId")
    assert_error(raw(server, "CreateSecret", b"x" * (600 * 1024)), 400, "SerializationException", "larger than")


def test_a_raw_call_without_a_token_gets_the_aws_message(server, sm, name):
    sm.create_secret(Name=name, SecretString="x")
    response = raw(server, "PutSecretValue", {"SecretId": name, "SecretString": "y"})
    assert_error(response, 400, "InvalidRequestException",
                 "You must provide a ClientRequestToken value. We recommend a UUID-type value.")


def test_the_region_comes_from_the_signature(server, name):
    assert raw(server, "CreateSecret", {"Name": name, "SecretString": "eu", "ClientRequestToken": "c" * 32},
               region="eu-central-1").status_code == 200
    assert raw(server, "GetSecretValue", {"SecretId": name}, region="eu-central-1").json()["SecretString"] == "eu"
    assert_error(raw(server, "GetSecretValue", {"SecretId": name}, region="us-east-1"), 400, "ResourceNotFoundException")


def test_health_and_metrics(server, sm, name):
    health = requests.get(server.url + "/health", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    try:
        sm.get_secret_value(SecretId=name)
    except sm.exceptions.ResourceNotFoundException:
        pass
    metrics = requests.get(server.url + "/metrics", timeout=10).text
    assert 'lockstep_requests_total{operation="GetSecretValue",code="ResourceNotFoundException"}' in metrics
    assert "lockstep_request_duration_seconds_bucket" in metrics


def test_no_secret_value_in_the_server_log(server, sm, name):
    marker = f"PLAINTEXT-{time.time_ns()}"
    sm.create_secret(Name=name, SecretString=marker)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == marker
    log = server.server_log()
    assert "request-id" in log
    assert marker not in log
    assert server.secret_access_key not in log


def test_graceful_shutdown_on_sigterm():
    s = Server()
    try:
        sm = s.client()
        sm.create_secret(Name="before-shutdown", SecretString="kept")
        assert s.stop(signal.SIGTERM) == 0
        assert "store closed cleanly" in s.server_log()
        # Restart on the same store: the write is there and the administrator key still works.
        key, secret = s.access_key_id, s.secret_access_key
        s.access_key_id = s.secret_access_key = None
        s.start()
        assert s.access_key_id is None  # the key is printed once, on the first start only
        s.access_key_id, s.secret_access_key = key, secret
        assert s.client().get_secret_value(SecretId="before-shutdown")["SecretString"] == "kept"
        assert s.stop(signal.SIGINT) == 0
    finally:
        s.close()


def test_dev_mode_accepts_any_key_and_says_so_loudly():
    s = Server("--dev")
    try:
        sm = s.client(key="AKIAANYTHINGANYTHING", secret="anything-at-all-really")
        sm.create_secret(Name="dev", SecretString="x")
        assert sm.get_secret_value(SecretId="dev")["SecretString"] == "x"
        assert "SIGNATURES ARE NOT CHECKED" in s.server_log()
    finally:
        s.close()


def test_tls(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    s = Server("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert s.url.startswith("https://")
        import boto3
        sm = boto3.client("secretsmanager", endpoint_url=s.url, region_name="us-east-1", verify=str(cert),
                          aws_access_key_id=s.access_key_id, aws_secret_access_key=s.secret_access_key)
        sm.create_secret(Name="over-tls", SecretString="x")
        assert sm.get_secret_value(SecretId="over-tls")["SecretString"] == "x"
    finally:
        s.close()
