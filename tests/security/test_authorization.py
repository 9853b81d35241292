"""Findings 1, 7 and 11: every resource a request touches is authorized (each region's replica, any secret it
overwrites), sessions die with their role, and a denial reads the same whether or not the secret exists."""
import json
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lockstep_server import ACCOUNT
from protocol_support import Sentinel, message, signed
from lockstep_server import User, allow, code, lockstep, policy, unique, wait_for

WEST = f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:*"


def client(server, user, region):
    return boto3.client("secretsmanager", endpoint_url=server.url, region_name=region, aws_access_key_id=user.key,
                        aws_secret_access_key=user.secret, config=Config(retries={"max_attempts": 1}))


def missing(admin, name, region):
    regional = boto3.client("secretsmanager", endpoint_url=admin.meta.endpoint_url, region_name=region,
                            aws_access_key_id=admin._request_signer._credentials.access_key,
                            aws_secret_access_key=admin._request_signer._credentials.secret_key,
                            config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        regional.describe_secret(SecretId=name)
    return code(e) == "ResourceNotFoundException"


def audit(server, *args):
    out = lockstep(server, "audit", "list", *args)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def wait_for_audit(server, predicate, *args, timeout=30):
    return wait_for(lambda: [r for r in audit(server, *args) if predicate(r)], timeout=timeout, what="a matching audit record",
                    interval=0.1)


@pytest.mark.parametrize("overwrite", [True, False])
def test_create_secret_with_replicas_needs_rights_in_every_region(server, admin, overwrite):
    """The reported critical hole: CreateSecret rights in us-west-2 replaced a us-east-1 secret."""
    sentinel = Sentinel(admin, name=unique("prod/db-"))
    creator = User(server, unique("mallory"), policies=[policy(allow("secretsmanager:CreateSecret", WEST))])
    # Even with ReplicateSecretToRegions, rights scoped to us-west-2 reach no replica in us-east-1.
    replicator = User(server, unique("mallory"), policies=[policy(
        allow(["secretsmanager:CreateSecret", "secretsmanager:ReplicateSecretToRegions"], WEST))])
    for user in (creator, replicator):
        west = client(server, user, "us-west-2")
        with pytest.raises(ClientError) as e:
            west.create_secret(Name=sentinel.name, SecretString="ATTACKER-VALUE",
                               AddReplicaRegions=[{"Region": "us-east-1"}], ForceOverwriteReplicaSecret=overwrite)
        assert code(e) == "AccessDeniedException", e.value.response
        assert missing(admin, sentinel.name, "us-west-2"), "nothing may be created when a region is refused"
    sentinel.assert_unchanged()
    # A fresh replica region (no name clash) still needs ReplicateSecretToRegions.
    west = client(server, creator, "us-west-2")
    fresh = unique("fresh/")
    with pytest.raises(ClientError) as e:
        west.create_secret(Name=fresh, SecretString="v", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert code(e) == "AccessDeniedException"
    assert missing(admin, fresh, "us-west-2") and missing(admin, fresh, "eu-west-1")


def test_overwriting_a_replica_target_needs_delete_rights_on_it(server, admin):
    sentinel = Sentinel(admin, name=unique("prod/db-"))
    # Everything in us-west-2 and replication anywhere, but no DeleteSecret on the us-east-1 secret.
    user = User(server, unique("mallory"), policies=[policy(
        allow("secretsmanager:*", WEST),
        allow("secretsmanager:ReplicateSecretToRegions", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:*"))])
    west = client(server, user, "us-west-2")
    west.create_secret(Name=sentinel.name, SecretString="ATTACKER-VALUE")
    for call in (
        lambda: west.replicate_secret_to_regions(SecretId=sentinel.name, AddReplicaRegions=[{"Region": "us-east-1"}],
                                                 ForceOverwriteReplicaSecret=True),
        lambda: west.create_secret(Name=unique("x/"), SecretString="v", AddReplicaRegions=[{"Region": "us-east-1"}],
                                   ForceOverwriteReplicaSecret=True),
    ):
        try:
            answer = call()
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDeniedException"
        else:
            # The second call names a fresh secret: allowed, and it replaces nothing.
            assert all(s["Region"] == "us-east-1" for s in answer["ReplicationStatus"])
    sentinel.assert_unchanged()
    # Without the overwrite flag, the clash is reported for that region and nothing changes.
    answer = west.replicate_secret_to_regions(SecretId=sentinel.name, AddReplicaRegions=[{"Region": "us-east-1"}])
    assert answer["ReplicationStatus"][0]["Status"] == "Failed"
    sentinel.assert_unchanged()


def test_an_allowed_overwrite_is_audited_as_the_deletion_it_is(server, admin):
    sentinel = Sentinel(admin, name=unique("prod/db-"))
    versions = {v["VersionId"] for v in admin.list_secret_version_ids(SecretId=sentinel.arn)["Versions"]}
    owner = User(server, unique("owner"), policies=[policy(allow())])
    west = client(server, owner, "us-west-2")
    created = west.create_secret(Name=sentinel.name, SecretString="west-value",
                                 AddReplicaRegions=[{"Region": "us-east-1"}], ForceOverwriteReplicaSecret=True)
    assert created["ReplicationStatus"][0]["Status"] == "InSync"
    assert admin.get_secret_value(SecretId=sentinel.name)["SecretString"] == "west-value"
    deleted = wait_for_audit(server, lambda r: any(v in json.dumps(r) for v in versions),
                             "--event-name", "EndSecretVersionDelete")
    assert {r["awsRegion"] for r in deleted} == {"us-east-1"}
    assert {v for v in versions if any(v in json.dumps(r) for r in deleted)} == versions


def test_removing_a_replica_needs_rights_in_its_region(server, admin):
    name = unique("replicated/")
    admin_west = boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-west-2",
                              aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key)
    admin_west.create_secret(Name=name, SecretString="v", AddReplicaRegions=[{"Region": "eu-west-1"}])
    user = User(server, unique("ops"), policies=[policy(allow("secretsmanager:*", WEST))])
    with pytest.raises(ClientError) as e:
        client(server, user, "us-west-2").remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
    assert code(e) == "AccessDeniedException"
    assert admin_west.describe_secret(SecretId=name)["ReplicationStatus"][0]["Region"] == "eu-west-1"


def test_a_denial_reads_the_same_whether_or_not_the_secret_exists(server, admin):
    sentinel = Sentinel(admin)
    nobody = User(server, unique("nobody"))
    ghost = sentinel.name + "-ghost"
    for operation, extra in (("GetSecretValue", {}), ("DescribeSecret", {}), ("DeleteSecret", {}),
                             ("PutSecretValue", {"SecretString": "x", "ClientRequestToken": "t" * 36}),
                             ("TagResource", {"Tags": [{"Key": "a", "Value": "b"}]})):
        answers = []
        for name in (sentinel.name, ghost):
            status, answer = signed(server, operation, {"SecretId": name, **extra}, key=nobody.key, secret=nobody.secret)
            assert (status, answer["__type"]) == (400, "AccessDeniedException"), answer
            answers.append(message(answer).replace(name, "<name>"))
        assert answers[0] == answers[1], answers
        assert sentinel.arn not in answers[0]
    # A resource policy that denies is not revealed to a caller without rights either.
    admin.put_resource_policy(SecretId=sentinel.arn, ResourcePolicy=policy(
        {"Effect": "Deny", "Principal": {"AWS": nobody.arn}, "Action": "secretsmanager:*", "Resource": "*"}))
    messages = [message(signed(server, "GetSecretValue", {"SecretId": n}, key=nobody.key, secret=nobody.secret)[1])
                .replace(n, "<name>") for n in (sentinel.name, ghost)]
    assert messages[0] == messages[1] and "resource-based" not in messages[0]


def test_put_resource_policy_authorizes_before_it_reads_the_policy(server, admin):
    sentinel = Sentinel(admin)
    nobody = User(server, unique("nobody"))
    for document in ("not json", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}]})):
        status, answer = signed(server, "PutResourcePolicy", {"SecretId": sentinel.name, "ResourcePolicy": document,
                                                             "BlockPublicPolicy": True},
                                key=nobody.key, secret=nobody.secret)
        assert answer["__type"] == "AccessDeniedException", answer
    sentinel.assert_unchanged()


def test_a_session_dies_with_its_role_even_if_the_name_comes_back(server, admin):
    sentinel = Sentinel(admin)
    frank = User(server, unique("frank"))
    role = unique("reader")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": frank.arn}, "Action": "sts:AssumeRole"})
    read = policy(allow("secretsmanager:GetSecretValue"))

    def make_role():
        lockstep(server, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust)
        lockstep(server, "iam", "put-role-policy", "--role-name", role, "--policy-name", "read", "--policy-document", read)

    make_role()
    sts = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=frank.key,
                       aws_secret_access_key=frank.secret, config=Config(retries={"max_attempts": 1}))
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="s1")["Credentials"]
    session = boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                           aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=credentials["SessionToken"], config=Config(retries={"max_attempts": 1}))
    assert session.get_secret_value(SecretId=sentinel.name)["SecretString"] == "second-value"
    lockstep(server, "iam", "delete-role-policy", "--role-name", role, "--policy-name", "read", check=False)
    lockstep(server, "iam", "delete-role", "--role-name", role)
    make_role()
    # The server reuses a looked-up credential for up to 2 s (documented); past that the old session is unknown.
    deadline = time.time() + 10
    while True:
        try:
            session.get_secret_value(SecretId=sentinel.name)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "UnrecognizedClientException", e.response
            break
        assert time.time() < deadline, "the old session still works against the new role"
        time.sleep(0.2)
