"""A real `lockstep serve` for the protocol security tests, and raw requests signed by hand.

The server (tests/support/lockstep_server.py) runs with access control on and SigV4 against the stored keys (the default: not `--dev`, not
`--benchmark-without-access-control`), on a free loopback port, with the administrator key read from its stdout.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import socket
import sys

import uuid

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))

import lockstep_server  # noqa: E402

JSON = "application/x-amz-json-1.1"


class Server(lockstep_server.Server):
    """The shared test server (tests/support/lockstep_server.py) plus requests signed by hand."""

    def client(self, region="us-east-1", read_timeout=60):
        return boto3.client(
            "secretsmanager", endpoint_url=self.url, region_name=region,
            aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key,
            config=Config(retries={"max_attempts": 1}, connect_timeout=30, read_timeout=read_timeout),
        )

    def is_running(self):
        return self.process.poll() is None

    # Raw requests

    def signed_headers(self, target, body, *, region="us-east-1", service="secretsmanager", sign=None, extra=(),
                       token=None, amz_date=None):
        """Headers of a request signed by hand (SigV4), as a list of (name, value).

        `sign` lists the header names to sign (lower case; default: every header sent). `extra` headers are sent
        too, signed only when `sign` names them.
        """
        amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        headers = [("host", self.host), ("content-type", JSON), ("x-amz-date", amz_date)]
        if target is not None:
            headers.append(("x-amz-target", target))
        if token is not None:
            headers.append(("x-amz-security-token", token))
        headers += list(extra)
        names = sorted(set(sign if sign is not None else [n.lower() for n, _ in headers]))
        return headers + [("authorization", sigv4(self.access_key_id, self.secret_access_key, headers, names, body,
                                                  amz_date, region, service))]

    def send(self, headers, body=b"", method="POST", path="/"):
        """Sends exactly these headers (repeats allowed); returns (status, parsed JSON body or raw bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            if body or method == "POST":
                connection.putheader("content-length", str(len(body)))
            connection.endheaders(body if isinstance(body, bytes) else body.encode())
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data

    def call(self, operation, payload, **kwargs):
        body = json.dumps(payload).encode() if not isinstance(payload, (bytes, str)) else payload
        body = body.encode() if isinstance(body, str) else body
        return self.send(self.signed_headers(f"secretsmanager.{operation}", body, **kwargs), body)

    def metrics(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
        connection.close()
        return text

    def silent_connection(self, partial=b""):
        """A connection that sends `partial` (maybe part of a header) and then nothing."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        if partial:
            sock.sendall(partial)
        return sock


def sigv4(key, secret, headers, signed, body, amz_date, region, service):
    """AWS4-HMAC-SHA256 by hand, signing exactly the `signed` header names (their values joined as AWS does)."""
    body = body if isinstance(body, bytes) else body.encode()
    lines = []
    for name in signed:
        values = [" ".join(v.split()) for n, v in headers if n.lower() == name]
        lines.append(f"{name}:{','.join(values)}\n")
    canonical = "\n".join(["POST", "/", "", "".join(lines), ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"


def signed(server, operation, body, key=None, secret=None, token=None, region="us-east-1"):
    """Sends one signed AWS JSON 1.1 request; `body` is sent exactly as given when it is a str (so that it can hold
    escapes such as \\u0000 that a JSON library would not produce on its own). Returns (status, parsed body)."""
    data = body if isinstance(body, str) else json.dumps(body)
    request = AWSRequest(method="POST", url=server.url + "/", data=data.encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"})
    credentials = Credentials(key or server.access_key_id, secret or server.secret_access_key, token)
    SigV4Auth(credentials, "secretsmanager", region).add_auth(request)
    response = requests.post(server.url + "/", data=request.body, headers=dict(request.headers), timeout=30)
    try:
        parsed = response.json()
    except ValueError:
        parsed = {"raw": response.text}
    return response.status_code, parsed


def message(answer):
    """An error body's message (AWS JSON 1.1 spells the member `message` or `Message`)."""
    return answer.get("message") or answer.get("Message")


class Sentinel:
    """A secret with two versions (AWSCURRENT and AWSPREVIOUS) and a tag; `assert_unchanged` reads it all back."""

    def __init__(self, admin, name=None):
        self.admin = admin
        self.name = name or f"sentinel/{uuid.uuid4().hex[:10]}"
        created = admin.create_secret(Name=self.name, SecretString="first-value", Tags=[{"Key": "env", "Value": "prod"}])
        self.arn = created["ARN"]
        admin.put_secret_value(SecretId=self.name, SecretString="second-value")
        self.snapshot = self.state()

    def state(self):
        describe = self.admin.describe_secret(SecretId=self.arn)
        versions = self.admin.list_secret_version_ids(SecretId=self.arn, IncludeDeprecated=True)["Versions"]
        return {
            "current": self.admin.get_secret_value(SecretId=self.arn)["SecretString"],
            "previous": self.admin.get_secret_value(SecretId=self.arn, VersionStage="AWSPREVIOUS")["SecretString"],
            "stages": sorted((v["VersionId"], tuple(sorted(v.get("VersionStages", [])))) for v in versions),
            "tags": sorted((t["Key"], t["Value"]) for t in describe.get("Tags", [])),
            "description": describe.get("Description"),
            "policy": self.admin.get_resource_policy(SecretId=self.arn).get("ResourcePolicy"),
        }

    def assert_unchanged(self):
        assert self.state() == self.snapshot
