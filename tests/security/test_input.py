"""Finding 2: control characters (a NUL above all) in any string member. SQLite once stopped at a NUL that policy
evaluation had seen in full: `env\\u0000` passed a Deny on `env` and was stored as `env`. Every string member now
gets AWS's ValidationException before anything reads it, and the store binds strings with their byte length."""
import json

import pytest

from protocol_support import Sentinel, message, signed
from lockstep_server import User, allow, deny, policy, unique

CONTROLS = ["\u0000", "\u0001", "\u0009", "\u000a", "\u001f", "\u007f", "\u0085"]
TOKEN = "c" * 40


def cases(s, name, current):
    """(operation, body) pairs that each carry the bad string `s` in one member."""
    return [
        ("GetSecretValue", {"SecretId": name + s}),
        ("GetSecretValue", {"SecretId": name, "VersionStage": "AWSPREVIOUS" + s}),
        ("GetSecretValue", {"SecretId": name, "VersionId": current[:-1] + s}),
        ("DescribeSecret", {"SecretId": name + s}),
        ("BatchGetSecretValue", {"SecretIdList": [name + s]}),
        ("BatchGetSecretValue", {"Filters": [{"Key": "name", "Values": [name + s]}]}),
        ("ListSecrets", {"Filters": [{"Key": "tag-key", "Values": ["env" + s]}]}),
        ("ListSecretVersionIds", {"SecretId": name + s}),
        ("TagResource", {"SecretId": name, "Tags": [{"Key": "env" + s, "Value": "stage"}]}),
        ("TagResource", {"SecretId": name, "Tags": [{"Key": "team", "Value": "ops" + s}]}),
        ("UntagResource", {"SecretId": name, "TagKeys": ["env" + s]}),
        ("UpdateSecretVersionStage", {"SecretId": name, "VersionStage": "AWSCURRENT" + s, "MoveToVersionId": current}),
        ("UpdateSecretVersionStage", {"SecretId": name, "VersionStage": "TEST", "MoveToVersionId": current[:-1] + s}),
        ("PutSecretValue", {"SecretId": name, "SecretString": "x", "ClientRequestToken": TOKEN,
                            "VersionStages": ["AWSCURRENT" + s]}),
        ("PutSecretValue", {"SecretId": name, "SecretString": "x", "ClientRequestToken": TOKEN[:-1] + s}),
        ("PutSecretValue", {"SecretId": name + s, "SecretString": "x", "ClientRequestToken": TOKEN}),
        ("UpdateSecret", {"SecretId": name, "KmsKeyId": "alias/aws/secretsmanager" + s}),
        ("UpdateSecret", {"SecretId": name, "Type": "t" + s}),
        ("DeleteSecret", {"SecretId": name + s, "ForceDeleteWithoutRecovery": True}),
        ("RestoreSecret", {"SecretId": name + s}),
        ("CancelRotateSecret", {"SecretId": name + s}),
        ("RotateSecret", {"SecretId": name, "RotationLambdaARN": "postgres-single-user" + s}),
        ("RotateSecret", {"SecretId": name, "RotationRules": {"ScheduleExpression": "rate(4 days)" + s}}),
        ("PutResourcePolicy", {"SecretId": name + s, "ResourcePolicy": "{}"}),
        ("GetResourcePolicy", {"SecretId": name + s}),
        ("DeleteResourcePolicy", {"SecretId": name + s}),
        ("ReplicateSecretToRegions", {"SecretId": name, "AddReplicaRegions": [{"Region": "eu-west-1" + s}]}),
        ("RemoveRegionsFromReplication", {"SecretId": name, "RemoveReplicaRegions": ["eu-west-1" + s]}),
        ("StopReplicationToReplica", {"SecretId": name + s}),
        ("CreateSecret", {"Name": name + s, "SecretString": "x", "ClientRequestToken": TOKEN}),
        ("CreateSecret", {"Name": unique("fresh/"), "Tags": [{"Key": "k" + s, "Value": "v"}]}),
        ("CreateSecret", {"Name": unique("fresh/"), "KmsKeyId": "alias/x" + s}),
        ("CreateSecret", {"Name": unique("fresh/"), "AddReplicaRegions": [{"Region": "eu-west-1", "KmsKeyId": "k" + s}]}),
    ]


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_string_member_refuses_control_characters(server, admin, control):
    sentinel = Sentinel(admin)
    current = next(v["VersionId"] for v in admin.list_secret_version_ids(SecretId=sentinel.arn)["Versions"]
                   if "AWSCURRENT" in v["VersionStages"])
    for operation, body in cases(control, sentinel.name, current):
        status, answer = signed(server, operation, body)
        assert status == 400 and answer.get("__type") == "ValidationException", (operation, body, status, answer)
        text = message(answer)
        assert text.startswith(("1 validation error detected: Value '", "2 validation errors detected: ")), text
        assert control not in text, "the message must show the character escaped"
    sentinel.assert_unchanged()
    assert not admin.list_secrets(Filters=[{"Key": "name", "Values": ["fresh/"]}])["SecretList"]


def test_descriptions_and_policies_keep_tabs_and_line_breaks(server, admin):
    name = unique("text/")
    admin.create_secret(Name=name, Description="line one\n\tline two\r\n", SecretString="v")
    assert admin.describe_secret(SecretId=name)["Description"] == "line one\n\tline two\r\n"
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "secretsmanager:*",
         "Resource": "*"}]}, indent=2)
    admin.put_resource_policy(SecretId=name, ResourcePolicy=document)
    for control in ("\u0000", "\u001b", "\u007f"):
        status, answer = signed(server, "UpdateSecret", {"SecretId": name, "Description": "bell" + control})
        assert (status, answer["__type"]) == (400, "ValidationException")
    assert admin.describe_secret(SecretId=name)["Description"] == "line one\n\tline two\r\n"


def test_a_nul_no_longer_slips_past_deny_policies(server, admin):
    """The reported attack, end to end: a Deny on a tag key and on a staging label, a NUL after each."""
    prefix = unique("abac/")
    sentinel = Sentinel(admin, name=f"{prefix}db")
    mallory = User(server, unique("mallory"), policies=[policy(
        allow(),
        deny("secretsmanager:TagResource", "*",
             Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}),
        deny("secretsmanager:GetSecretValue", "*", Condition={"StringEquals": {"secretsmanager:VersionStage": "AWSPREVIOUS"}}),
    )])
    for body, operation in (
        ({"SecretId": sentinel.name, "Tags": [{"Key": "env\u0000", "Value": "dev"}]}, "TagResource"),
        ({"SecretId": sentinel.name, "VersionStage": "AWSPREVIOUS\u0000"}, "GetSecretValue"),
        ({"SecretId": sentinel.name + "\u0000"}, "GetSecretValue"),
        ({"SecretId": sentinel.name, "VersionStage": "AWSCURRENT\u0000", "MoveToVersionId": "d" * 32},
         "UpdateSecretVersionStage"),
        ({"SecretId": sentinel.name, "SecretString": "x", "ClientRequestToken": TOKEN, "VersionStages": ["AWSCURRENT\u0000"]},
         "PutSecretValue"),
    ):
        status, answer = signed(server, operation, body, key=mallory.key, secret=mallory.secret)
        assert (status, answer.get("__type")) == (400, "ValidationException"), (operation, answer)
        assert "previous" not in json.dumps(answer)
    # The Deny itself still holds for the plain strings.
    status, answer = signed(server, "GetSecretValue", {"SecretId": sentinel.name, "VersionStage": "AWSPREVIOUS"},
                            key=mallory.key, secret=mallory.secret)
    assert (status, answer["__type"]) == (400, "AccessDeniedException")
    sentinel.assert_unchanged()


def test_lengths_are_bounded_with_aws_messages(server, admin):
    sentinel = Sentinel(admin)
    for operation, body, path, bound in (
        ("GetSecretValue", {"SecretId": "n" * 2049}, "secretId", "less than or equal to 2048"),
        ("GetSecretValue", {"SecretId": sentinel.name, "VersionStage": "S" * 257}, "versionStage", "less than or equal to 256"),
        ("GetSecretValue", {"SecretId": sentinel.name, "VersionId": "v" * 31}, "versionId", "greater than or equal to 32"),
        ("TagResource", {"SecretId": sentinel.name, "Tags": [{"Key": "ok", "Value": "v"}, {"Key": "k" * 129, "Value": "v"}]},
         "tags.2.member.key", "less than or equal to 128"),
        ("ListSecrets", {"Filters": [{"Key": "name", "Values": ["a"]}, {"Key": "name", "Values": ["a" * 513]}]},
         "filters.2.member.values.1.member", "less than or equal to 512"),
        ("UntagResource", {"SecretId": sentinel.name, "TagKeys": [""]}, "tagKeys.1.member", "greater than or equal to 1"),
        ("UpdateSecret", {"SecretId": sentinel.name, "Description": "d" * 2049}, "description", "less than or equal to 2048"),
    ):
        status, answer = signed(server, operation, body)
        assert (status, answer["__type"]) == (400, "ValidationException"), (operation, answer)
        assert f"at '{path}' failed to satisfy constraint: Member must have length {bound}" in message(answer), answer
    status, answer = signed(server, "ListSecrets", {"Filters": [{"Key": "colour", "Values": ["red"]}]})
    assert message(answer) == ("1 validation error detected: Value 'colour' at 'filters.1.member.key' failed to satisfy "
                                 "constraint: Member must satisfy enum value set: [description, name, tag-key, tag-value, "
                                 "primary-region, owning-service, all]")
    status, answer = signed(server, "GetSecretValue", {"SecretId": "", "VersionStage": ""})
    assert message(answer).startswith("2 validation errors detected: "), answer
    sentinel.assert_unchanged()


@pytest.mark.parametrize("body", ["[]", "null", '"SecretId"', "42", '{"SecretId": "a"} trailing', "{", ""])
def test_a_body_that_is_not_one_json_object_is_a_serialization_error(server, admin, body):
    sentinel = Sentinel(admin)
    status, answer = signed(server, "DeleteSecret", body if body else "{}")
    assert status == 400, answer
    assert answer["__type"] in ("SerializationException", "InvalidParameterException"), answer
    assert "  " not in message(answer) and "the  parameter" not in message(answer)
    sentinel.assert_unchanged()


def test_a_huge_list_gets_a_small_message(server, admin):
    status, answer = signed(server, "BatchGetSecretValue", {"SecretIdList": [f"s{i}" for i in range(20_000)]})
    assert (status, answer["__type"]) == (400, "ValidationException")
    assert len(message(answer)) < 2_000 and "..." in message(answer)
