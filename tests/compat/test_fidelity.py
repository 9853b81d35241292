"""AWS fidelity (docs/aws-behaviour.md): each documented rule over HTTP, with boto3 and the aws CLI.

Every test here names a row of the behaviour table; the table names the test."""
import json
import re
import time
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def raw(server, operation, body):
    """A signed request without the SDK's help (no idempotency token filled in)."""
    request = AWSRequest(method="POST", url=server.url + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"})
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "secretsmanager", "us-east-1").add_auth(request)
    answer = requests.post(server.url + "/", data=request.body, headers=dict(request.headers), timeout=30)
    return answer.status_code, answer.json()


def prefix():
    return f"fidelity{uuid.uuid4().hex[:8]}"


def test_list_secrets_lists_oldest_first_unless_told_otherwise(server, sm):
    p = prefix()
    names = [f"{p}/{i}" for i in range(3)]
    for n in names:
        sm.create_secret(Name=n, SecretString="v")
        time.sleep(0.01)  # distinct creation instants (the order under test is by CreatedDate)
    listed = lambda **kw: [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [p]}], **kw)["SecretList"]]
    assert listed() == names
    assert listed(SortOrder="asc") == names
    assert listed(SortOrder="desc") == names[::-1]
    batch = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [p]}])
    assert [s["Name"] for s in batch["SecretValues"]] == names
    cli = server.aws_json("list-secrets", "--filters", f"Key=name,Values={p}")
    assert [s["Name"] for s in cli["SecretList"]] == names


def test_all_and_description_filters_split_the_value_like_the_attribute(server, sm):
    p = prefix()
    sm.create_secret(Name=f"{p}/SecretOne61db85", SecretString="v", Description="AppBetaCredentials for COMPANYthings")
    found = lambda key, value: [s["Name"] for s in sm.list_secrets(Filters=[
        {"Key": "name", "Values": [p]}, {"Key": key, "Values": [value]}])["SecretList"]]
    assert found("all", "SecretOne") == [f"{p}/SecretOne61db85"]
    assert found("all", "one61") == [f"{p}/SecretOne61db85"]
    assert found("all", "AppBeta") == [f"{p}/SecretOne61db85"]
    assert found("description", "beta app") == [f"{p}/SecretOne61db85"]
    assert found("description", "compan ythings") == [f"{p}/SecretOne61db85"]
    assert found("description", "companythings") == []
    assert found("all", "!AppBeta") == []
    # name, tag-key, tag-value and primary-region are case-sensitive prefixes of the whole string.
    assert sm.list_secrets(Filters=[{"Key": "name", "Values": [p.upper()]}])["SecretList"] == []
    cli = server.aws_json("list-secrets", "--filters", "Key=all,Values=AppBeta", f"Key=name,Values={p}")
    assert len(cli["SecretList"]) == 1


def test_client_request_token_retries_and_conflicts(server, sm):
    name = prefix()
    token = str(uuid.uuid4())
    created = sm.create_secret(Name=name, SecretString="one", ClientRequestToken=token)
    # The same CreateSecret again (an SDK retry) answers as the first.
    assert sm.create_secret(Name=name, SecretString="one", ClientRequestToken=token)["VersionId"] == token
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name, SecretString="other", ClientRequestToken=token)
    assert error(e) == ("ResourceExistsException", f"You can't use ClientRequestToken {token} because that value is "
                                                    f"already in use for a version of secret {created['ARN']}.")
    update = str(uuid.uuid4())
    assert sm.update_secret(SecretId=name, SecretString="two", ClientRequestToken=update)["VersionId"] == update
    assert sm.update_secret(SecretId=name, SecretString="two", ClientRequestToken=update)["VersionId"] == update
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert len(versions) == 2
    with pytest.raises(ClientError) as e:
        sm.update_secret(SecretId=name, SecretString="three", ClientRequestToken=update)
    assert error(e)[0] == "ResourceExistsException"
    for operation, body, code in (
        ("CreateSecret", {"Name": prefix(), "SecretString": "v"}, "InvalidRequestException"),
        ("UpdateSecret", {"SecretId": name, "SecretString": "v"}, "InvalidRequestException"),
        ("PutSecretValue", {"SecretId": name, "SecretString": "v"}, "InvalidRequestException"),
        ("RotateSecret", {"SecretId": name, "RotationLambdaARN": "postgres-single-user"}, "InvalidParameterException"),
    ):
        status, answer = raw(server, operation, body)
        assert (status, answer["__type"]) == (400, code), (operation, answer)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"


def test_tags_show_an_empty_list_once_the_last_is_removed(server, sm):
    never, once = prefix(), prefix()
    sm.create_secret(Name=never, SecretString="v")
    sm.create_secret(Name=once, SecretString="v", Tags=[{"Key": "team", "Value": "a"}])
    sm.untag_resource(SecretId=once, TagKeys=["team"])
    assert "Tags" not in sm.describe_secret(SecretId=never)
    assert sm.describe_secret(SecretId=once)["Tags"] == []
    entries = {s["Name"]: s for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [never, once]}])["SecretList"]}
    assert "Tags" not in entries[never] and entries[once]["Tags"] == []
    assert server.aws_json("describe-secret", "--secret-id", once)["Tags"] == []


def test_replica_messages_are_aws_words(server):
    us, eu = server.client("us-east-1"), server.client("eu-west-1")
    name = prefix()
    arn = us.create_secret(Name=name, SecretString="v", AddReplicaRegions=[{"Region": "eu-west-1"}])["ARN"]
    with pytest.raises(ClientError) as e:
        eu.put_secret_value(SecretId=name, SecretString="x")
    assert error(e) == ("InvalidParameterException",
                        "Operation not permitted on a replica secret. Call must be made in primary secret's region.")
    with pytest.raises(ClientError) as e:
        us.delete_secret(SecretId=name)
    assert error(e) == ("InvalidParameterException", f"You can't delete secret {arn} that still has replica regions [eu-west-1].")
    with pytest.raises(ClientError) as e:
        us.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "us-east-1"}])
    assert error(e) == ("InvalidParameterException", "Invalid replica region.")
    cli = server.aws("put-secret-value", "--secret-id", name, "--secret-string", "x", region="eu-west-1", check=False)
    assert cli.returncode != 0 and "InvalidParameterException" in cli.stderr


def test_order_of_checks_in_delete_and_put(server, sm):
    for window in (0, 6, 31):
        for secret in (prefix(), "does-not-exist"):
            with pytest.raises(ClientError) as e:
                sm.delete_secret(SecretId=secret, RecoveryWindowInDays=window, ForceDeleteWithoutRecovery=True)
            assert error(e) == ("InvalidParameterException",
                                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    name = prefix()
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as e:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert error(e)[1] == "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId=name)
    assert error(e) == ("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
    cli = server.aws("delete-secret", "--secret-id", name, "--recovery-window-in-days", "0", check=False)
    assert cli.returncode != 0 and "InvalidParameterException" in cli.stderr
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_validation_messages_are_aws_words(server, sm):
    with pytest.raises(ClientError) as e:
        sm.list_secrets(Filters=[{"Key": "name", "Values": ["a"]}, {"Key": "description", "Values": ["x" * 513]}])
    assert error(e) == ("ValidationException", "1 validation error detected: Value '" + "x" * 513 + "' at "
                        "'filters.2.member.values.1.member' failed to satisfy constraint: Member must have length less "
                        "than or equal to 512")
    status, answer = raw(server, "GetSecretValue", {"SecretId": "a", "VersionId": "short"})
    assert answer["message"] == ("1 validation error detected: Value 'short' at 'versionId' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 32")


def test_get_random_password_space_is_not_a_required_type(server, sm):
    for _ in range(20):
        password = sm.get_random_password(PasswordLength=4, IncludeSpace=True)["RandomPassword"]
        assert len(password) == 4
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() and c != " " for c in password)
    with pytest.raises(ClientError) as e:
        sm.get_random_password(PasswordLength=3)
    assert error(e)[0] == "InvalidParameterException"
    assert len(sm.get_random_password(PasswordLength=3, RequireEachIncludedType=False)["RandomPassword"]) == 3
    with pytest.raises(ClientError) as e:
        sm.get_random_password(ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True)
    assert error(e)[0] == "InvalidParameterException"
    only_space = sm.get_random_password(PasswordLength=5, ExcludeLowercase=True, ExcludeUppercase=True,
                                        ExcludeNumbers=True, ExcludePunctuation=True, IncludeSpace=True)
    assert only_space["RandomPassword"] == "     "


def test_external_rotation_settings_and_type_round_trip(server, sm):
    name = prefix()
    sm.create_secret(Name=name, SecretString="{}", Type="partner-type")
    metadata = [{"Key": "region", "Value": "eu"}, {"Key": "account", "Value": "42"}]
    role = "arn:aws:iam::123456789012:role/partner-rotation"
    sm.rotate_secret(SecretId=name, RotationLambdaARN="postgres-single-user", RotateImmediately=False,
                     ExternalSecretRotationMetadata=metadata, ExternalSecretRotationRoleArn=role)
    described = sm.describe_secret(SecretId=name)
    assert described["ExternalSecretRotationMetadata"] == metadata
    assert described["ExternalSecretRotationRoleArn"] == role
    assert described["Type"] == "partner-type"
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]
    assert entry["ExternalSecretRotationRoleArn"] == role and entry["Type"] == "partner-type"
    sm.cancel_rotate_secret(SecretId=name)
    # The aws CLI sends them too.
    other = prefix()
    sm.create_secret(Name=other, SecretString="{}")
    server.aws("rotate-secret", "--secret-id", other, "--rotation-lambda-arn", "postgres-single-user",
               "--no-rotate-immediately", "--external-secret-rotation-role-arn", role,
               "--external-secret-rotation-metadata", "Key=region,Value=eu")
    assert server.aws_json("describe-secret", "--secret-id", other)["ExternalSecretRotationMetadata"] == [
        {"Key": "region", "Value": "eu"}]


# Beyond the list (found going through the model; docs/aws-behaviour.md)


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("the call succeeded")


def aws_error(server, *args):
    """The aws CLI's error code and message for a failing command."""
    result = server.aws(*args, check=False)
    assert result.returncode != 0, result.stdout
    match = re.search(r"\((\w+)\) when calling the \w+ operation: (.*)", result.stderr)
    return match.group(1), match.group(2).strip()


def test_secret_string_and_binary_together(server, sm):
    name = prefix()
    code, message = error_of(lambda: sm.create_secret(Name=name, SecretString="s", SecretBinary=b"b"))
    assert code == "InvalidParameterException"
    assert message == "You can't specify both a binary secret value and a string secret value in the same secret."
    assert aws_error(server, "create-secret", "--name", name, "--secret-string", "s", "--secret-binary", "Yg==")[0] == code


def test_force_delete_of_a_missing_secret_succeeds(server, sm):
    name = prefix()
    out = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert out["Name"] == name and "DeletionDate" in out
    assert server.aws_json("delete-secret", "--secret-id", name, "--force-delete-without-recovery")["Name"] == name


def test_operations_on_a_secret_marked_for_deletion(server, sm):
    name = prefix()
    sm.create_secret(Name=name, SecretString="v")
    sm.delete_secret(SecretId=name)
    marked = ("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
    assert error_of(lambda: sm.get_secret_value(SecretId=name)) == marked
    assert error_of(lambda: sm.put_secret_value(SecretId=name, SecretString="x")) == marked
    assert aws_error(server, "update-secret", "--secret-id", name, "--description", "d") == marked
    assert error_of(lambda: sm.create_secret(Name=name, SecretString="x")) == (
        "InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    sm.restore_secret(SecretId=name)
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)


def test_version_id_and_stage_must_agree(server, sm):
    name = prefix()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    sm.put_secret_value(SecretId=name, SecretString="two")
    expected = ("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
    assert error_of(lambda: sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")) == expected
    assert aws_error(server, "get-secret-value", "--secret-id", name, "--version-id", v1, "--version-stage", "AWSCURRENT") == expected


def test_unknown_secret(server, sm):
    name = prefix()
    expected = ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    assert error_of(lambda: sm.describe_secret(SecretId=name)) == expected
    assert aws_error(server, "get-secret-value", "--secret-id", name) == expected


def test_batch_get_takes_ids_or_filters_not_both(server, sm):
    name = prefix()
    sm.create_secret(Name=name, SecretString="v")
    code, _ = error_of(lambda: sm.batch_get_secret_value(SecretIdList=[name], Filters=[{"Key": "name", "Values": [name]}]))
    assert code == "InvalidParameterException"
    batch = sm.batch_get_secret_value(SecretIdList=[name, name + "-missing"])
    assert [v["Name"] for v in batch["SecretValues"]] == [name]
    assert [e["ErrorCode"] for e in batch["Errors"]] == ["ResourceNotFoundException"]
