"""Every operation of the secrets core through boto3, with AWS's error codes as botocore ClientError codes."""
import uuid

import pytest
from botocore.exceptions import ClientError


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_create_get_put_and_labels(sm, name):
    created = sm.create_secret(Name=name, SecretString='{"username":"app"}', Description="d",
                               Tags=[{"Key": "env", "Value": "prod"}])
    assert created["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-")
    value = sm.get_secret_value(SecretId=name)
    assert value["SecretString"] == '{"username":"app"}'
    assert value["VersionStages"] == ["AWSCURRENT"]
    assert value["CreatedDate"].year >= 2024
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == '{"username":"app"}'
    described = sm.describe_secret(SecretId=created["ARN"])
    assert described["VersionIdsToStages"][v2] == ["AWSCURRENT"]
    assert described["VersionIdsToStages"][created["VersionId"]] == ["AWSPREVIOUS"]
    assert described["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert "DeletedDate" not in described


def test_binary_values_round_trip(sm, name):
    blob = bytes(range(256))
    sm.create_secret(Name=name, SecretBinary=blob)
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == blob


def test_update_and_stage_moves(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two", VersionStages=["AWSPENDING"])["VersionId"]
    with pytest.raises(ClientError) as e:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)
    assert code(e) == "InvalidParameterException"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING"]}
    updated = sm.update_secret(SecretId=name, SecretString="three", Description="new")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "three"
    assert updated["VersionId"] in sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert len(versions) == 3


def test_errors_are_client_error_codes(sm, name):
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name)
    assert code(e) == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == "Secrets Manager can't find the specified secret."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sm.create_secret(Name=name, SecretString="x")
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name, SecretString="y")
    assert code(e) == "ResourceExistsException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="bad name", SecretString="y")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name, VersionStage="NOPE")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert code(e) == "InvalidParameterException"


def test_delete_restore_and_force(sm, name):
    sm.create_secret(Name=name, SecretString="x")
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert "DeletionDate" in deleted
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name)
    assert code(e) == "InvalidRequestException"
    assert "marked for deletion" in e.value.response["Error"]["Message"]
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    names = [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    assert name in names
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "x"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId=name)
    assert code(e) == "ResourceNotFoundException"
    sm.delete_secret(SecretId=name + "-never", ForceDeleteWithoutRecovery=True)


def test_list_filters_and_paginator(sm, name):
    for i in range(7):
        sm.create_secret(Name=f"{name}/item-{i}", SecretString="x", Tags=[{"Key": "batch", "Value": name}])
    pages = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "tag-value", "Values": [name]}], PaginationConfig={"PageSize": 3})
    names = [s["Name"] for page in pages for s in page["SecretList"]]
    assert sorted(names) == sorted(f"{name}/item-{i}" for i in range(7))
    negated = sm.list_secrets(Filters=[{"Key": "name", "Values": [f"{name}/item-", f"!{name}/item-3"]}])
    assert f"{name}/item-3" not in [s["Name"] for s in negated["SecretList"]]
    with pytest.raises(ClientError) as e:
        sm.list_secrets(NextToken="not-a-token")
    assert code(e) == "InvalidNextTokenException"


def test_tags_batch_and_random_password(sm, name):
    sm.create_secret(Name=name, SecretString="x")
    sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    batch = sm.batch_get_secret_value(SecretIdList=[name, name + "-missing"])
    assert [v["Name"] for v in batch["SecretValues"]] == [name]
    assert batch["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"
    password = sm.get_random_password(PasswordLength=50, ExcludePunctuation=True)["RandomPassword"]
    assert len(password) == 50 and password.isalnum()


def test_replication_between_regions(server, name):
    us = server.client("us-east-1")
    eu = server.client("eu-west-1")
    us.create_secret(Name=name, SecretString="v1")
    status = us.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert status["ReplicationStatus"][0]["Status"] == "InSync"
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v1"
    us.put_secret_value(SecretId=name, SecretString="v2")
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v2"
    with pytest.raises(ClientError) as e:
        eu.put_secret_value(SecretId=name, SecretString="nope")
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == ("Operation not permitted on a replica secret. Call must be made in "
                                                    "primary secret's region.")
    with pytest.raises(ClientError) as e:
        us.delete_secret(SecretId=name)
    assert code(e) == "InvalidParameterException"
    arn = us.describe_secret(SecretId=name)["ARN"]
    assert e.value.response["Error"]["Message"] == f"You can't delete secret {arn} that still has replica regions [eu-west-1]."
    for bad in ("us-east-1", "EU-WEST-1", "mars"):
        with pytest.raises(ClientError) as e:
            us.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": bad}])
        assert code(e) in ("InvalidParameterException", "ValidationException")
        if bad == "us-east-1":
            assert e.value.response["Error"]["Message"] == "Invalid replica region."
    eu.stop_replication_to_replica(SecretId=name)
    us.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v2"
    us.create_secret(Name=name + "-r", SecretString="x", AddReplicaRegions=[{"Region": "ap-south-1"}])
    removed = us.remove_regions_from_replication(SecretId=name + "-r", RemoveReplicaRegions=["ap-south-1"])
    assert removed["ReplicationStatus"] == []


def test_idempotent_tokens(sm, name):
    token = str(uuid.uuid4())
    sm.create_secret(Name=name, SecretString="x")
    first = sm.put_secret_value(SecretId=name, SecretString="y", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId=name, SecretString="y", ClientRequestToken=token)
    assert first["VersionId"] == again["VersionId"] == token
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId=name, SecretString="z", ClientRequestToken=token)
    assert code(e) == "ResourceExistsException"
