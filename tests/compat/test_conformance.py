"""Model-driven conformance: every operation of botocore's secretsmanager model, called over raw HTTP (signed with
botocore's SigV4Auth, nothing filled in by an SDK). Valid calls must answer JSON that fits the operation's output shape
exactly (no unknown members, no nulls, the model's types and enums); invalid calls must answer an error `__type` the
operation models or one of AWS's common errors."""
import base64
import json
import uuid

import botocore.session
import pytest

MODEL = botocore.session.get_session().get_service_model("secretsmanager")
ROTATOR = "arn:aws:lambda:us-east-1:123456789012:function:postgres-single-user"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                              "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})

# Errors any AWS JSON service may answer, beside an operation's modeled ones.
COMMON_ERRORS = {
    "AccessDeniedException", "IncompleteSignature", "IncompleteSignatureException", "InternalFailure", "InvalidAction",
    "InvalidClientTokenId", "InvalidSignatureException", "MissingAuthenticationTokenException", "NotAuthorized",
    "OptInRequired", "RequestExpired", "SerializationException", "ServiceUnavailable", "ThrottlingException",
    "UnrecognizedClientException", "UnknownOperationException", "ValidationError", "ValidationException",
}


def check_shape(shape, value, path="$"):
    """Asserts that a JSON value fits a botocore shape, recursively."""
    assert value is not None, f"{path}: JSON null"
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: {value!r} is not an object"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path}: members not in {shape.name}: {sorted(unknown)}"
        for member, item in value.items():
            check_shape(shape.members[member], item, f"{path}.{member}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: {value!r} is not a list"
        for index, item in enumerate(value):
            check_shape(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: {value!r} is not a map"
        for key, item in value.items():
            check_shape(shape.key, key, f"{path}<key>")
            check_shape(shape.value, item, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: {value!r} is not a string"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an integer"
    elif kind in ("float", "double"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: {value!r} is not a number"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: {value!r} is not a boolean"
    elif kind == "timestamp":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: {value!r} is not epoch seconds"
    elif kind == "blob":
        assert isinstance(value, str), f"{path}: {value!r} is not base64 text"
        base64.b64decode(value, validate=True)
    else:
        raise AssertionError(f"{path}: unexpected shape type {kind}")


def call(server, operation, body, region="us-east-1"):
    response = server.raw(operation, body, region=region)
    return response.status_code, response.json() if response.content else None


def valid(server, operation, body, region="us-east-1"):
    status, payload = call(server, operation, body, region)
    assert status == 200, f"{operation}: {status} {payload}"
    output = MODEL.operation_model(operation).output_shape
    if output is None:
        assert payload in ({}, None), f"{operation} has no output shape but answered {payload}"
    else:
        check_shape(output, payload)
    return payload


def invalid(server, operation, body, expected=None, region="us-east-1"):
    status, payload = call(server, operation, body, region)
    assert status == 400, f"{operation}: {status} {payload}"
    code = payload["__type"].split("#")[-1]
    modeled = {e.name for e in MODEL.operation_model(operation).error_shapes}
    assert code in modeled | COMMON_ERRORS, f"{operation}: {code} is neither modeled ({sorted(modeled)}) nor common"
    assert isinstance(payload.get("message", payload.get("Message")), str)
    if expected:
        assert code == expected, f"{operation}: {code}, expected {expected}"
    CALLED_INVALID.add(operation)
    return code


def token():
    return str(uuid.uuid4())


CALLED_VALID = set()
CALLED_INVALID = set()


def v(server, operation, body, region="us-east-1"):
    CALLED_VALID.add(operation)
    return valid(server, operation, body, region)


def test_valid_calls_fit_the_output_shapes(server, name):
    name = name.replace("[", "").replace("]", "")
    other = name + "-other"
    created = v(server, "CreateSecret", {"Name": name, "SecretString": "one", "ClientRequestToken": token(), "Description": "d",
                                         "Tags": [{"Key": "k", "Value": "v"}]})
    v(server, "CreateSecret", {"Name": other, "SecretBinary": base64.b64encode(b"\x00\x01").decode(), "ClientRequestToken": token()})
    v(server, "CreateSecret", {"Name": name + "-empty"})
    put = v(server, "PutSecretValue", {"SecretId": name, "SecretString": "two", "ClientRequestToken": token(), "VersionStages": ["AWSCURRENT"]})
    v(server, "UpdateSecret", {"SecretId": name, "SecretString": "three", "ClientRequestToken": token()})
    v(server, "UpdateSecret", {"SecretId": name, "Description": "metadata only"})
    v(server, "UpdateSecretVersionStage", {"SecretId": name, "VersionStage": "CUSTOM", "MoveToVersionId": put["VersionId"]})
    v(server, "GetSecretValue", {"SecretId": name})
    v(server, "GetSecretValue", {"SecretId": other})
    v(server, "DescribeSecret", {"SecretId": name})
    v(server, "DescribeSecret", {"SecretId": name + "-empty"})
    v(server, "ListSecretVersionIds", {"SecretId": name, "IncludeDeprecated": True})
    v(server, "ListSecrets", {"Filters": [{"Key": "name", "Values": [name]}], "MaxResults": 2})
    v(server, "ListSecrets", {"IncludePlannedDeletion": True, "SortBy": "name", "SortOrder": "asc"})
    v(server, "BatchGetSecretValue", {"SecretIdList": [name, other, name + "-missing"]})
    v(server, "BatchGetSecretValue", {"Filters": [{"Key": "name", "Values": [name]}]})
    v(server, "GetRandomPassword", {"PasswordLength": 20, "IncludeSpace": True})
    v(server, "TagResource", {"SecretId": name, "Tags": [{"Key": "k2", "Value": "v2"}]})
    v(server, "UntagResource", {"SecretId": name, "TagKeys": ["k2"]})
    v(server, "ValidateResourcePolicy", {"SecretId": name, "ResourcePolicy": POLICY})
    v(server, "PutResourcePolicy", {"SecretId": name, "ResourcePolicy": POLICY})
    v(server, "GetResourcePolicy", {"SecretId": name})
    v(server, "DeleteResourcePolicy", {"SecretId": name})
    v(server, "RotateSecret", {"SecretId": name, "ClientRequestToken": token(), "RotationLambdaARN": ROTATOR, "RotateImmediately": False,
                               "RotationRules": {"ScheduleExpression": "rate(10 days)"},
                               "ExternalSecretRotationMetadata": [{"Key": "a", "Value": "b"}],
                               "ExternalSecretRotationRoleArn": "arn:aws:iam::123456789012:role/r"})
    v(server, "DescribeSecret", {"SecretId": name})
    v(server, "ListSecrets", {"Filters": [{"Key": "name", "Values": [name]}]})
    v(server, "CancelRotateSecret", {"SecretId": name})
    v(server, "ReplicateSecretToRegions", {"SecretId": other, "AddReplicaRegions": [{"Region": "eu-west-1"}]})
    v(server, "DescribeSecret", {"SecretId": other})
    v(server, "DescribeSecret", {"SecretId": other}, region="eu-west-1")
    v(server, "RemoveRegionsFromReplication", {"SecretId": other, "RemoveReplicaRegions": ["eu-west-1"]})
    v(server, "ReplicateSecretToRegions", {"SecretId": other, "AddReplicaRegions": [{"Region": "eu-west-2"}]})
    v(server, "StopReplicationToReplica", {"SecretId": other}, region="eu-west-2")
    v(server, "DeleteSecret", {"SecretId": name, "RecoveryWindowInDays": 7})
    v(server, "DescribeSecret", {"SecretId": name})
    v(server, "RestoreSecret", {"SecretId": name})
    v(server, "DeleteSecret", {"SecretId": name, "ForceDeleteWithoutRecovery": True})
    v(server, "DeleteSecret", {"SecretId": created["ARN"] + "-gone", "ForceDeleteWithoutRecovery": True})


def test_invalid_calls_answer_modeled_errors(server, name):
    name = name.replace("[", "").replace("]", "")
    missing = name + "-missing"
    server.raw("CreateSecret", {"Name": name, "SecretString": "x", "ClientRequestToken": token()})
    # Every operation with an empty body: a missing required member (or nothing to do) is a modeled or common error.
    for operation in MODEL.operation_names:
        if operation in ("ListSecrets", "GetRandomPassword"):
            continue  # nothing required: an empty body is a valid call
        invalid(server, operation, {})
    # Each operation on a secret that does not exist.
    not_found = {
        "CancelRotateSecret": {}, "DeleteResourcePolicy": {}, "DescribeSecret": {}, "GetResourcePolicy": {}, "GetSecretValue": {},
        "ListSecretVersionIds": {}, "PutResourcePolicy": {"ResourcePolicy": POLICY},
        "PutSecretValue": {"SecretString": "x", "ClientRequestToken": token()}, "RestoreSecret": {},
        "RotateSecret": {"ClientRequestToken": token(), "RotationLambdaARN": ROTATOR}, "TagResource": {"Tags": [{"Key": "k", "Value": "v"}]},
        "UntagResource": {"TagKeys": ["k"]}, "UpdateSecret": {"Description": "d"},
        "UpdateSecretVersionStage": {"VersionStage": "X", "MoveToVersionId": "a" * 32},
        "ReplicateSecretToRegions": {"AddReplicaRegions": [{"Region": "eu-west-1"}]},
        "RemoveRegionsFromReplication": {"RemoveReplicaRegions": ["eu-west-1"]}, "StopReplicationToReplica": {},
        "DeleteSecret": {}, "ValidateResourcePolicy": {"ResourcePolicy": POLICY},
    }
    for operation, body in not_found.items():
        invalid(server, operation, {"SecretId": missing, **body}, expected="ResourceNotFoundException")
    # The operations without a SecretId, and state errors.
    invalid(server, "CreateSecret", {"Name": name, "SecretString": "y", "ClientRequestToken": token()}, expected="ResourceExistsException")
    invalid(server, "CreateSecret", {"Name": "bad name!?", "SecretString": "y", "ClientRequestToken": token()})
    invalid(server, "ListSecrets", {"NextToken": "garbage"}, expected="InvalidNextTokenException")
    invalid(server, "ListSecrets", {"Filters": [{"Key": "colour", "Values": ["x"]}]})
    invalid(server, "GetRandomPassword", {"PasswordLength": 3}, expected="InvalidParameterException")
    invalid(server, "BatchGetSecretValue", {"SecretIdList": [name], "Filters": [{"Key": "name", "Values": [name]}]},
            expected="InvalidParameterException")
    invalid(server, "PutResourcePolicy", {"SecretId": name, "ResourcePolicy": "{not a policy"}, expected="MalformedPolicyDocumentException")
    # ValidateResourcePolicy reports a policy that isn't JSON in its answer (SYNTAX_CHECK), not as an error.
    report = valid(server, "ValidateResourcePolicy", {"ResourcePolicy": "{not a policy"})
    assert report["PolicyValidationPassed"] is False
    invalid(server, "PutSecretValue", {"SecretId": name}, expected="InvalidRequestException")
    invalid(server, "DeleteSecret", {"SecretId": name, "RecoveryWindowInDays": 0}, expected="InvalidParameterException")
    invalid(server, "RotateSecret", {"SecretId": name, "ClientRequestToken": token()}, expected="InvalidRequestException")
    invalid(server, "StopReplicationToReplica", {"SecretId": name}, expected="InvalidRequestException")
    invalid(server, "GetSecretValue", {"SecretId": name, "VersionStage": "NOPE"}, expected="ResourceNotFoundException")
    invalid(server, "UpdateSecretVersionStage", {"SecretId": name, "VersionStage": "AWSCURRENT", "MoveToVersionId": "b" * 32},
            expected="ResourceNotFoundException")


def test_every_model_operation_is_covered(server, name):
    """Fails when an operation of the model has no valid or no invalid call above (runs them when run alone)."""
    if not CALLED_VALID:
        test_valid_calls_fit_the_output_shapes(server, name + "-v")
    if not CALLED_INVALID:
        test_invalid_calls_answer_modeled_errors(server, name + "-i")
    operations = set(MODEL.operation_names)
    assert len(operations) == 23, sorted(operations)
    assert operations - CALLED_VALID == set(), "operations without a valid call"
    assert operations - CALLED_INVALID == set(), "operations without an invalid call"
