"""One operation catalog: every operation of botocore's secretsmanager model is served over HTTP and has a CLI
command under the aws CLI's name, and nothing else is."""
import subprocess

import botocore.session
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import LOCKSTEP

MODEL = botocore.session.get_session().get_service_model("secretsmanager")


def call(server, operation):
    request = AWSRequest(method="POST", url=server.url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"})
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "secretsmanager", "us-east-1").add_auth(request)
    return requests.post(server.url + "/", data=request.body, headers=dict(request.headers), timeout=30).json()


def test_the_model_has_the_23_operations_the_catalog_lists():
    assert len(MODEL.operation_names) == 23


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_every_model_operation_is_served_and_has_its_cli_command(server, operation):
    assert call(server, operation).get("__type") != "UnknownOperationException"
    command = MODEL.operation_model(operation).metadata.get("cli_name") or botocore.xform_name(operation, "-")
    helped = subprocess.run([LOCKSTEP, command, "--help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0, helped.stderr


def test_an_operation_outside_the_model_is_unknown(server):
    assert call(server, "DropEverything")["__type"] == "UnknownOperationException"
