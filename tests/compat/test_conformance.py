"""Model-driven conformance: for each of the 23 operations of botocore's secretsmanager model, a valid call whose raw
JSON response is checked against the operation's output shape (no unknown members, no nulls, the model's types), and
an invalid call whose error `__type` is one of the operation's modeled errors or one of AWS's common errors."""
import base64
import json
import uuid

import botocore.session
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MODEL = botocore.session.get_session().get_service_model("secretsmanager")
COMMON_ERRORS = {"ValidationException", "SerializationException", "AccessDeniedException"}
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "AWS": "arn:aws:iam::123456789012:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def call(server, operation, body, region="us-east-1"):
    request = AWSRequest(method="POST", url=server.url + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"})
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "secretsmanager", region).add_auth(request)
    answer = requests.post(server.url + "/", data=request.body, headers=dict(request.headers), timeout=30)
    return answer.status_code, answer.json()


def conforms(value, shape, path="$"):
    """Problems of `value` against botocore `shape`, as strings (empty when it conforms)."""
    problems = []
    if shape is None:
        return [] if value == {} else [f"{path}: the operation has no output, got {value!r}"]
    kind = shape.type_name
    if value is None:
        return [f"{path}: null"]
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        for member, member_value in value.items():
            if member not in shape.members:
                problems.append(f"{path}.{member}: not in {shape.name}")
            else:
                problems += conforms(member_value, shape.members[member], f"{path}.{member}")
        for required in shape.required_members:
            if required not in value:
                problems.append(f"{path}.{required}: required member missing")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        for index, item in enumerate(value):
            problems += conforms(item, shape.member, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        for key, item in value.items():
            problems += conforms(key, shape.key, f"{path}.<key>") + conforms(item, shape.value, f"{path}.{key}")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string"]
        if "enum" in shape.metadata and value not in shape.metadata["enum"]:
            problems.append(f"{path}: {value!r} not in enum")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected epoch seconds")
    elif kind == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: expected base64")
        else:
            base64.b64decode(value, validate=True)
    return problems


@pytest.fixture(scope="module")
def world(server):
    """A secret with two versions, tags, a resource policy and a replica; a second one to delete and restore."""
    sm = server.client()
    name = f"conformance/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="v1", Description="d", Tags=[{"Key": "team", "Value": "a"}],
                     AddReplicaRegions=[{"Region": "eu-west-1"}])
    sm.put_secret_value(SecretId=name, SecretString="v2")
    sm.put_resource_policy(SecretId=name, ResourcePolicy=POLICY)
    other = f"conformance/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=other, SecretString="o", AddReplicaRegions=[{"Region": "ap-south-1"}])
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    current = next(v["VersionId"] for v in versions if "AWSCURRENT" in v["VersionStages"])
    return {"name": name, "other": other, "current": current, "missing": "conformance/does-not-exist"}


def valid_calls(w):
    token = lambda: str(uuid.uuid4())
    n, o = w["name"], w["other"]
    return {
        "BatchGetSecretValue": [{"SecretIdList": [n, w["missing"]]}, {"Filters": [{"Key": "name", "Values": ["conformance/"]}]}],
        "CreateSecret": [{"Name": f"conformance/{uuid.uuid4().hex}", "SecretString": "x", "ClientRequestToken": token(),
                          "Tags": [{"Key": "k", "Value": "v"}]}],
        "DescribeSecret": [{"SecretId": n}],
        "GetRandomPassword": [{"PasswordLength": 20}],
        "GetResourcePolicy": [{"SecretId": n}],
        "GetSecretValue": [{"SecretId": n}, {"SecretId": n, "VersionStage": "AWSPREVIOUS"}],
        "ListSecretVersionIds": [{"SecretId": n, "IncludeDeprecated": True}],
        "ListSecrets": [{"MaxResults": 5}, {"Filters": [{"Key": "tag-key", "Values": ["team"]}], "IncludePlannedDeletion": True}],
        "PutResourcePolicy": [{"SecretId": n, "ResourcePolicy": POLICY, "BlockPublicPolicy": True}],
        "PutSecretValue": [{"SecretId": n, "SecretString": "v3", "ClientRequestToken": token(), "VersionStages": ["CUSTOM"]}],
        "TagResource": [{"SecretId": n, "Tags": [{"Key": "env", "Value": "prod"}]}],
        "UntagResource": [{"SecretId": n, "TagKeys": ["env"]}],
        "UpdateSecret": [{"SecretId": n, "Description": "d2"}],
        "UpdateSecretVersionStage": [{"SecretId": n, "VersionStage": "CONFORM", "MoveToVersionId": w["current"]}],
        "ValidateResourcePolicy": [{"ResourcePolicy": POLICY}, {"SecretId": n, "ResourcePolicy": POLICY}],
        "RotateSecret": [{"SecretId": o, "RotationLambdaARN": "postgres-single-user", "RotateImmediately": False,
                          "ClientRequestToken": token(), "RotationRules": {"AutomaticallyAfterDays": 30}}],
        "CancelRotateSecret": [{"SecretId": o}],
        "ReplicateSecretToRegions": [{"SecretId": n, "AddReplicaRegions": [{"Region": "us-west-2"}]}],
        "RemoveRegionsFromReplication": [{"SecretId": n, "RemoveReplicaRegions": ["us-west-2"]}],
        "StopReplicationToReplica": [("ap-south-1", {"SecretId": o})],
        "DeleteResourcePolicy": [{"SecretId": n}],
        "DeleteSecret": [{"SecretId": o, "RecoveryWindowInDays": 7}],
        "RestoreSecret": [{"SecretId": o}],
    }


def invalid_calls(w):
    m = w["missing"]
    return {
        "BatchGetSecretValue": {},
        "CreateSecret": {"Name": "bad name!"},
        "DescribeSecret": {"SecretId": m},
        "GetRandomPassword": {"PasswordLength": 3},
        "GetResourcePolicy": {"SecretId": m},
        "GetSecretValue": {"SecretId": w["name"], "VersionStage": "NOPE"},
        "ListSecretVersionIds": {"SecretId": m},
        "ListSecrets": {"NextToken": "not-a-token"},
        "PutResourcePolicy": {"SecretId": w["name"], "ResourcePolicy": "not json"},
        "PutSecretValue": {"SecretId": m, "SecretString": "x", "ClientRequestToken": str(uuid.uuid4())},
        "TagResource": {"SecretId": m, "Tags": [{"Key": "a", "Value": "b"}]},
        "UntagResource": {"SecretId": m, "TagKeys": ["a"]},
        "UpdateSecret": {"SecretId": m, "Description": "x"},
        "UpdateSecretVersionStage": {"SecretId": w["name"], "VersionStage": "AWSCURRENT"},
        "ValidateResourcePolicy": {"SecretId": m, "ResourcePolicy": POLICY},
        "RotateSecret": {"SecretId": m, "ClientRequestToken": str(uuid.uuid4())},
        "CancelRotateSecret": {"SecretId": m},
        "ReplicateSecretToRegions": {"SecretId": w["name"], "AddReplicaRegions": [{"Region": "us-east-1"}]},
        "RemoveRegionsFromReplication": {"SecretId": w["name"], "RemoveReplicaRegions": ["sa-east-1"]},
        "StopReplicationToReplica": {"SecretId": w["name"]},
        "DeleteResourcePolicy": {"SecretId": m},
        "DeleteSecret": {"SecretId": m, "RecoveryWindowInDays": 3},
        "RestoreSecret": {"SecretId": m},
    }


# The order matters for the calls that change the world: replicas before their removal, rotation before its
# cancellation, the deletion before the restore.
ORDER = ["BatchGetSecretValue", "CreateSecret", "DescribeSecret", "GetRandomPassword", "GetResourcePolicy", "GetSecretValue",
         "ListSecretVersionIds", "ListSecrets", "PutResourcePolicy", "PutSecretValue", "TagResource", "UntagResource",
         "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy", "RotateSecret", "CancelRotateSecret",
         "ReplicateSecretToRegions", "RemoveRegionsFromReplication", "StopReplicationToReplica", "DeleteResourcePolicy",
         "DeleteSecret", "RestoreSecret"]


def test_the_suite_covers_every_operation_of_the_model(world):
    assert sorted(ORDER) == sorted(MODEL.operation_names)
    assert set(valid_calls(world)) == set(MODEL.operation_names) == set(invalid_calls(world))


@pytest.mark.parametrize("operation", ORDER)
def test_valid_calls_answer_in_the_models_output_shape(server, world, operation):
    shape = MODEL.operation_model(operation).output_shape
    for body in valid_calls(world)[operation]:
        region, body = body if isinstance(body, tuple) else ("us-east-1", body)
        status, answer = call(server, operation, body, region)
        assert status == 200, (operation, body, answer)
        assert conforms(answer, shape) == [], (operation, answer)


@pytest.mark.parametrize("operation", ORDER)
def test_invalid_calls_answer_a_modeled_error(server, world, operation):
    modeled = {error.name for error in MODEL.operation_model(operation).error_shapes}
    status, answer = call(server, operation, invalid_calls(world)[operation])
    assert status == 400, answer
    assert answer["__type"] in modeled | COMMON_ERRORS, (operation, answer)
    assert isinstance(answer.get("message") or answer.get("Message"), str)
