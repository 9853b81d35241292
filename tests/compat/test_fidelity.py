"""AWS behaviours checked against AWS's API reference and AWS-recorded answers (docs/aws-behaviour.md), each over HTTP
with boto3 and with the aws CLI. Every row of the table in docs/aws-behaviour.md names its test here."""
import json
import time
import uuid

import pytest

ROTATOR = "arn:aws:lambda:us-east-1:123456789012:function:postgres-single-user"
TOKEN_MESSAGE = "You must provide a ClientRequestToken value. We recommend a UUID-type value."


def error_of(call):
    try:
        call()
    except Exception as e:  # botocore.exceptions.ClientError
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("the call succeeded")


def create(sm, name, **kwargs):
    return sm.create_secret(Name=name, SecretString=kwargs.pop("value", "v"), **kwargs)


def names(listing):
    return [s["Name"] for s in listing["SecretList"]]


# 1. Order of ListSecrets and BatchGetSecretValue


def test_list_secrets_default_order_is_oldest_first(server, sm, name):
    for i in range(3):
        create(sm, f"{name}/s{i}")
        time.sleep(0.01)
    expected = [f"{name}/s{i}" for i in range(3)]
    by_name = [{"Key": "name", "Values": [name + "/"]}]
    assert names(sm.list_secrets(Filters=by_name)) == expected
    assert names(sm.list_secrets(Filters=by_name, SortOrder="asc")) == expected
    assert names(sm.list_secrets(Filters=by_name, SortOrder="desc")) == expected[::-1]
    batch = sm.batch_get_secret_value(Filters=by_name)
    assert [v["Name"] for v in batch["SecretValues"]] == expected
    cli = server.aws_json("list-secrets", "--filters", f"Key=name,Values={name}/")
    assert names(cli) == expected
    cli_desc = server.aws_json("list-secrets", "--filters", f"Key=name,Values={name}/", "--sort-order", "desc")
    assert names(cli_desc) == expected[::-1]
    cli_batch = server.aws_json("batch-get-secret-value", "--filters", f"Key=name,Values={name}/")
    assert [v["Name"] for v in cli_batch["SecretValues"]] == expected


# 2. Filters


def listed(sm, name, key, value):
    return set(names(sm.list_secrets(Filters=[{"Key": "name", "Values": [name + "/"]}, {"Key": key, "Values": [value]}])))


def test_filter_all_splits_words_before_folding_case(server, sm, name):
    create(sm, f"{name}/SecretOne61db85")
    create(sm, f"{name}/plain", Tags=[{"Key": "AppBetaTeam", "Value": "x"}])
    create(sm, f"{name}/COMPANYthings")
    one, plain, company = f"{name}/SecretOne61db85", f"{name}/plain", f"{name}/COMPANYthings"
    assert listed(sm, name, "all", "SecretOne") == {one}
    assert listed(sm, name, "all", "secret one") == {one}
    assert listed(sm, name, "all", "one61") == {one}
    assert listed(sm, name, "all", "61db") == set(), "letters and digits stay one word"
    assert listed(sm, name, "all", "AppBeta") == {plain}
    assert listed(sm, name, "all", "ythings") == {company}
    assert listed(sm, name, "all", "compan") == {company}
    assert listed(sm, name, "all", "!SecretOne") == {plain, company}
    cli = server.aws_json("list-secrets", "--filters", f"Key=name,Values={name}/", "Key=all,Values=AppBeta")
    assert names(cli) == [plain]
    cli = server.aws_json("list-secrets", "--filters", f"Key=name,Values={name}/", "Key=all,Values=SecretOne")
    assert names(cli) == [one]


def test_filter_prefix_keys_are_case_sensitive(server, sm, name):
    create(sm, f"{name}/Data", Tags=[{"Key": "Team", "Value": "Payments"}], Description="My basic description")
    data = f"{name}/Data"
    assert listed(sm, name, "name", f"{name}/Da") == {data}
    assert listed(sm, name, "name", f"{name}/da") == set()
    assert listed(sm, name, "tag-key", "Te") == {data}
    assert listed(sm, name, "tag-key", "te") == set()
    assert listed(sm, name, "tag-value", "Pay") == {data}
    assert listed(sm, name, "tag-value", "pay") == set()
    assert listed(sm, name, "description", "description my") == {data}
    assert listed(sm, name, "description", "BASIC") == {data}
    assert listed(sm, name, "tag-key", "!Team") == set()
    cli = server.aws_json("list-secrets", "--filters", f"Key=name,Values={name}/", "Key=tag-key,Values=te")
    assert names(cli) == []


# 3. ClientRequestToken


def test_update_secret_retry_with_the_same_token_succeeds(server, sm, name):
    create(sm, name)
    token = str(uuid.uuid4())
    first = sm.update_secret(SecretId=name, SecretString="two", ClientRequestToken=token)
    again = sm.update_secret(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert first["VersionId"] == again["VersionId"] == token
    code, message = error_of(lambda: sm.update_secret(SecretId=name, SecretString="three", ClientRequestToken=token))
    assert code == "ResourceExistsException"
    assert message == (f"You can't use ClientRequestToken {token} because that value is already in use for a version of "
                       f"secret {first['ARN']}.")
    cli_token = str(uuid.uuid4())
    for _ in range(2):
        out = server.aws_json("update-secret", "--secret-id", name, "--secret-string", "four", "--client-request-token", cli_token)
        assert out["VersionId"] == cli_token
    assert sm.get_secret_value(SecretId=name)["VersionId"] == cli_token


def test_create_secret_with_the_token_of_another_value(server, sm, name):
    token = str(uuid.uuid4())
    created = sm.create_secret(Name=name, SecretString="one", ClientRequestToken=token)
    assert sm.create_secret(Name=name, SecretString="one", ClientRequestToken=token)["VersionId"] == token
    code, message = error_of(lambda: sm.create_secret(Name=name, SecretString="other", ClientRequestToken=token))
    assert code == "ResourceExistsException"
    assert message == (f"You can't use ClientRequestToken {token} because that value is already in use for a version of "
                       f"secret {created['ARN']}.")
    code, message = server.aws_error("create-secret", "--name", name, "--secret-string", "other", "--client-request-token", token)
    assert code == "ResourceExistsException" and token in message
    code, message = server.aws_error("create-secret", "--name", name, "--secret-string", "other")
    assert (code, message) == ("ResourceExistsException", f"The operation failed because the secret {name} already exists.")


@pytest.mark.parametrize("operation,code", [
    ("CreateSecret", "InvalidRequestException"),
    ("UpdateSecret", "InvalidRequestException"),
    ("PutSecretValue", "InvalidRequestException"),
    ("RotateSecret", "InvalidParameterException"),
])
def test_a_raw_call_without_a_token(server, operation, code):
    # As AWS's recorded test does: the secret need not exist, the token is checked first.
    name = f"compat/no-token/{uuid.uuid4().hex}"
    body = {"SecretString": "thisisthesecret", "Description": "My secret string"}
    if operation == "CreateSecret":
        body["Name"] = name
    elif operation == "RotateSecret":
        body = {"SecretId": name, "RotationLambdaARN": ROTATOR}
    else:
        body["SecretId"] = name
    response = server.raw(operation, body)
    assert response.status_code == 400
    assert response.json()["__type"] == code
    assert response.json()["message"] == TOKEN_MESSAGE


# 4. Tags


def test_tags_become_an_empty_list_after_the_last_is_removed(server, sm, name):
    create(sm, f"{name}/never")
    create(sm, f"{name}/tagged", Tags=[{"Key": "k", "Value": "v"}])
    sm.untag_resource(SecretId=f"{name}/tagged", TagKeys=["k"])
    create(sm, f"{name}/cli")
    server.aws("tag-resource", "--secret-id", f"{name}/cli", "--tags", "Key=a,Value=b")
    server.aws("untag-resource", "--secret-id", f"{name}/cli", "--tag-keys", "a")
    assert "Tags" not in sm.describe_secret(SecretId=f"{name}/never")
    assert sm.describe_secret(SecretId=f"{name}/tagged")["Tags"] == []
    assert server.aws_json("describe-secret", "--secret-id", f"{name}/cli")["Tags"] == []
    assert "Tags" not in server.aws_json("describe-secret", "--secret-id", f"{name}/never")
    entries = {e["Name"]: e for e in sm.list_secrets(Filters=[{"Key": "name", "Values": [name + "/"]}])["SecretList"]}
    assert "Tags" not in entries[f"{name}/never"]
    assert entries[f"{name}/tagged"]["Tags"] == [] and entries[f"{name}/cli"]["Tags"] == []
    raw = server.raw("DescribeSecret", {"SecretId": f"{name}/tagged"}).json()
    assert raw["Tags"] == []


# 6. Order of checks


@pytest.mark.parametrize("days", [0, 6, 31])
def test_delete_checks_the_window_before_force(server, sm, days):
    name = f"compat/delete-window/{uuid.uuid4().hex}"
    create(sm, name)
    message = "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
    for secret_id in (name, name + "-missing"):
        assert error_of(lambda: sm.delete_secret(SecretId=secret_id, RecoveryWindowInDays=days, ForceDeleteWithoutRecovery=True)) == (
            "InvalidParameterException", message)
        assert error_of(lambda: sm.delete_secret(SecretId=secret_id, RecoveryWindowInDays=days)) == ("InvalidParameterException", message)
        assert server.aws_error("delete-secret", "--secret-id", secret_id, "--recovery-window-in-days", str(days),
                                "--force-delete-without-recovery") == ("InvalidParameterException", message)
    conflict = ("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
    assert error_of(lambda: sm.delete_secret(SecretId=name + "-missing", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)) == conflict
    assert server.aws_error("delete-secret", "--secret-id", name, "--recovery-window-in-days", "30",
                            "--force-delete-without-recovery") == conflict
    assert sm.describe_secret(SecretId=name).get("DeletedDate") is None


def test_put_secret_value_without_a_value(server, sm, name):
    create(sm, name)
    expected = ("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
    assert error_of(lambda: sm.put_secret_value(SecretId=name)) == expected
    assert server.aws_error("put-secret-value", "--secret-id", name) == expected
    response = server.raw("PutSecretValue", {"SecretId": name})
    assert (response.json()["__type"], response.json()["message"]) == expected


# 8. GetRandomPassword


def test_a_space_is_not_a_required_character_type(server, sm):
    for _ in range(20):
        password = sm.get_random_password(PasswordLength=4, IncludeSpace=True)["RandomPassword"]
        assert len(password) == 4
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() and c != " " for c in password)
    one = sm.get_random_password(PasswordLength=1, IncludeSpace=True, ExcludeNumbers=True, ExcludePunctuation=True,
                                 ExcludeUppercase=True)["RandomPassword"]
    assert len(one) == 1
    assert len(server.aws_json("get-random-password", "--password-length", "4", "--include-space")["RandomPassword"]) == 4
    code, _ = error_of(lambda: sm.get_random_password(PasswordLength=3))
    assert code == "InvalidParameterException"
    code, _ = server.aws_error("get-random-password", "--password-length", "3", "--include-space")
    assert code == "InvalidParameterException"


def test_password_exclusions(server, sm):
    # ExcludeCharacters that empties a type drops the type: the remaining three fit in three characters.
    password = sm.get_random_password(PasswordLength=3, ExcludeCharacters="0123456789")["RandomPassword"]
    assert len(password) == 3 and not any(c.isdigit() for c in password)
    code, _ = error_of(lambda: sm.get_random_password(ExcludeNumbers=True, ExcludePunctuation=True, ExcludeUppercase=True,
                                                      ExcludeLowercase=True))
    assert code == "InvalidParameterException"
    assert len(sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)["RandomPassword"]) == 1
    out = server.aws_json("get-random-password", "--password-length", "64", "--exclude-characters", "abc", "--exclude-punctuation")
    assert len(out["RandomPassword"]) == 64 and not set(out["RandomPassword"]) & set("abc!#%")


# 9. External rotation members and Type


def test_external_rotation_members_round_trip(server, sm, name):
    create(sm, name)
    metadata = [{"Key": "partner", "Value": "p1"}, {"Key": "account", "Value": "42"}]
    role = "arn:aws:iam::123456789012:role/partner-rotation"
    sm.rotate_secret(SecretId=name, RotationLambdaARN=ROTATOR, RotateImmediately=False,
                     ExternalSecretRotationMetadata=metadata, ExternalSecretRotationRoleArn=role)
    described = sm.describe_secret(SecretId=name)
    assert described["ExternalSecretRotationMetadata"] == metadata
    assert described["ExternalSecretRotationRoleArn"] == role
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]
    assert entry["ExternalSecretRotationMetadata"] == metadata and entry["ExternalSecretRotationRoleArn"] == role
    cli_name = name + "-cli"
    create(sm, cli_name)
    server.aws("rotate-secret", "--secret-id", cli_name, "--rotation-lambda-arn", ROTATOR, "--no-rotate-immediately",
               "--external-secret-rotation-metadata", "Key=k,Value=v", "--external-secret-rotation-role-arn", role)
    out = server.aws_json("describe-secret", "--secret-id", cli_name)
    assert out["ExternalSecretRotationMetadata"] == [{"Key": "k", "Value": "v"}]
    assert out["ExternalSecretRotationRoleArn"] == role


def test_type_round_trips(server, sm, name):
    sm.create_secret(Name=name, SecretString="v", Type="custom-kind")
    assert sm.describe_secret(SecretId=name)["Type"] == "custom-kind"
    server.aws("update-secret", "--secret-id", name, "--type", "other-kind")
    assert server.aws_json("describe-secret", "--secret-id", name)["Type"] == "other-kind"
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]
    assert entry["Type"] == "other-kind"


# Beyond the list


def test_secret_string_and_binary_together(server, sm, name):
    code, message = error_of(lambda: sm.create_secret(Name=name, SecretString="s", SecretBinary=b"b"))
    assert code == "InvalidParameterException"
    assert message == "You can't specify both a binary secret value and a string secret value in the same secret."
    assert server.aws_error("create-secret", "--name", name, "--secret-string", "s", "--secret-binary", "Yg==")[0] == code


def test_force_delete_of_a_missing_secret_succeeds(server, sm, name):
    out = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert out["Name"] == name and "DeletionDate" in out
    assert server.aws_json("delete-secret", "--secret-id", name, "--force-delete-without-recovery")["Name"] == name


def test_operations_on_a_secret_marked_for_deletion(server, sm, name):
    create(sm, name)
    sm.delete_secret(SecretId=name)
    marked = ("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
    assert error_of(lambda: sm.get_secret_value(SecretId=name)) == marked
    assert error_of(lambda: sm.put_secret_value(SecretId=name, SecretString="x")) == marked
    assert server.aws_error("update-secret", "--secret-id", name, "--description", "d") == marked
    assert error_of(lambda: sm.create_secret(Name=name, SecretString="x")) == (
        "InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    sm.restore_secret(SecretId=name)
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)


def test_version_id_and_stage_must_agree(server, sm, name):
    v1 = create(sm, name)["VersionId"]
    sm.put_secret_value(SecretId=name, SecretString="two")
    expected = ("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
    assert error_of(lambda: sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")) == expected
    assert server.aws_error("get-secret-value", "--secret-id", name, "--version-id", v1, "--version-stage", "AWSCURRENT") == expected


def test_unknown_secret(server, sm, name):
    expected = ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    assert error_of(lambda: sm.describe_secret(SecretId=name)) == expected
    assert server.aws_error("get-secret-value", "--secret-id", name) == expected


def test_batch_get_takes_ids_or_filters_not_both(server, sm, name):
    create(sm, name)
    code, _ = error_of(lambda: sm.batch_get_secret_value(SecretIdList=[name], Filters=[{"Key": "name", "Values": [name]}]))
    assert code == "InvalidParameterException"
    batch = sm.batch_get_secret_value(SecretIdList=[name, name + "-missing"])
    assert [v["Name"] for v in batch["SecretValues"]] == [name]
    assert [e["ErrorCode"] for e in batch["Errors"]] == ["ResourceNotFoundException"]
