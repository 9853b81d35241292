"""Fixtures for the security suite: a real strict-mode `lockstep serve` (policies and audit on, no --dev), raw
SigV4-signed requests, and a sentinel secret whose value, versions and labels every refused attack must leave as
they were."""
import json
import os
import sys
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))

from lockstep_server import ACCOUNT, LOCKSTEP, Server  # noqa: E402,F401


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def admin(server):
    return server.client()


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


@pytest.fixture
def sentinel(admin):
    return Sentinel(admin)
