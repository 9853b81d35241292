"""Access control and audit end to end: two accounts, several users, boto3 and the aws CLI against a real server.

Users, roles and their policies are made with `lockstep iam` on the server's data directory (the operator's tool);
every call is then made over HTTP with the user's own keys. Each case says whether IAM would allow it; a denied
call must change nothing. The audit log is then verified, listed, scanned for secret values and tampered with.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, LOCKSTEP, Server
from lockstep_server import STORE, User, allow, code, denied, deny, lockstep, policy, stored_bytes, unique, wait_for

OTHER_ACCOUNT = "210987654321"


@pytest.fixture
def admin(server):
    return server.client()


def test_default_deny_names_principal_action_and_resource_and_changes_nothing(server, admin):
    alice = User(server, unique("alice"))
    name = unique("nothing/")
    message = denied(alice.sm.create_secret, Name=name, SecretString="x")
    assert message.startswith(f"User: {alice.arn} is not authorized to perform: secretsmanager:CreateSecret on resource: "
                              f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-")
    assert "because no identity-based policy allows the secretsmanager:CreateSecret action" in message
    assert name not in [s["Name"] for s in admin.list_secrets(MaxResults=100)["SecretList"]]
    cli = alice.aws("create-secret", "--name", name, "--secret-string", "x")
    assert cli.returncode != 0 and "AccessDeniedException" in cli.stderr
    with pytest.raises(ClientError) as e:
        admin.describe_secret(SecretId=name)
    assert code(e) == "ResourceNotFoundException"


def test_identity_policy_scopes_by_resource_with_wildcards(server, admin):
    prefix = unique("team")
    admin.create_secret(Name=f"{prefix}/app", SecretString="app-value")
    admin.create_secret(Name=f"other-{prefix}/app", SecretString="x")
    reader = User(server, unique("reader"), policies=[policy(
        allow("secretsmanager:Get*", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:{prefix}/*"),
        allow("SecretsManager:describesecret", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{prefix}/app-??????"))])
    assert reader.sm.get_secret_value(SecretId=f"{prefix}/app")["SecretString"] == "app-value"
    assert reader.sm.describe_secret(SecretId=f"{prefix}/app")["Name"] == f"{prefix}/app"
    denied(reader.sm.get_secret_value, SecretId=f"other-{prefix}/app")
    denied(reader.sm.put_secret_value, SecretId=f"{prefix}/app", SecretString="changed")
    assert admin.get_secret_value(SecretId=f"{prefix}/app")["SecretString"] == "app-value"
    text = reader.aws("get-secret-value", "--secret-id", f"{prefix}/app", "--query", "SecretString", "--output", "text")
    assert text.stdout == "app-value\n", text.stderr
    # Missing secrets: "not found" where the caller could read, "denied" elsewhere (names can't be probed).
    with pytest.raises(ClientError) as e:
        reader.sm.get_secret_value(SecretId=f"{prefix}/missing")
    assert code(e) == "ResourceNotFoundException"
    denied(reader.sm.get_secret_value, SecretId=f"elsewhere-{prefix}/missing")


def test_explicit_deny_beats_allow_and_not_action_not_resource(server, admin):
    prefix = unique("deny")
    admin.create_secret(Name=f"{prefix}/keep", SecretString="keep")
    admin.create_secret(Name=f"{prefix}/open", SecretString="open")
    operator = User(server, unique("operator"), policies=[
        policy(allow("secretsmanager:*"), deny("secretsmanager:DeleteSecret")),
        policy({"Effect": "Deny", "NotAction": ["secretsmanager:Get*", "secretsmanager:Describe*", "secretsmanager:List*",
                                                "secretsmanager:DeleteSecret"],
                "NotResource": f"arn:aws:secretsmanager:*:*:secret:{prefix}/open-*"})])
    denied(operator.sm.delete_secret, SecretId=f"{prefix}/keep", ForceDeleteWithoutRecovery=True)
    assert admin.describe_secret(SecretId=f"{prefix}/keep")["Name"] == f"{prefix}/keep"
    assert operator.sm.get_secret_value(SecretId=f"{prefix}/keep")["SecretString"] == "keep"
    # Writes are denied everywhere except on the open secret (NotAction + NotResource).
    denied(operator.sm.put_secret_value, SecretId=f"{prefix}/keep", SecretString="changed")
    operator.sm.put_secret_value(SecretId=f"{prefix}/open", SecretString="changed")
    assert admin.get_secret_value(SecretId=f"{prefix}/keep")["SecretString"] == "keep"
    assert admin.get_secret_value(SecretId=f"{prefix}/open")["SecretString"] == "changed"


def test_resource_policy_operations_and_same_account_grant(server, admin):
    name = unique("shared/")
    arn = admin.create_secret(Name=name, SecretString="shared-value")["ARN"]
    bob = User(server, unique("bob"))
    denied(bob.sm.get_secret_value, SecretId=name)
    document = policy(allow("secretsmanager:GetSecretValue", Principal={"AWS": bob.arn}))
    put = server.aws_json("put-resource-policy", "--secret-id", name, "--resource-policy", document)
    assert put["ARN"] == arn
    assert json.loads(server.aws_json("get-resource-policy", "--secret-id", name)["ResourcePolicy"]) == json.loads(document)
    assert bob.aws("get-secret-value", "--secret-id", name, "--query", "SecretString", "--output", "text").stdout == "shared-value\n"
    denied(bob.sm.describe_secret, SecretId=name)
    server.aws("delete-resource-policy", "--secret-id", name)
    assert "ResourcePolicy" not in admin.get_resource_policy(SecretId=name)
    denied(bob.sm.get_secret_value, SecretId=name)


def test_block_public_policy_and_validation(server, admin):
    name = unique("public/")
    admin.create_secret(Name=name, SecretString="x")
    public = policy(allow("secretsmanager:GetSecretValue", Principal="*", Sid="Everyone"))
    with pytest.raises(ClientError) as e:
        admin.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert code(e) == "PublicPolicyException"
    assert "ResourcePolicy" not in admin.get_resource_policy(SecretId=name)
    with pytest.raises(ClientError) as e:
        admin.put_resource_policy(SecretId=name, ResourcePolicy='{"Statement": [{"Effect": "Allow"}]}')
    assert code(e) == "MalformedPolicyDocumentException"
    assert "must have Principal" in e.value.response["Error"]["Message"] or "Principal" in e.value.response["Error"]["Message"]
    validated = server.aws_json("validate-resource-policy", "--resource-policy", public)
    assert validated["PolicyValidationPassed"] is False
    assert validated["ValidationErrors"][0]["CheckName"] == "BROAD_ACCESS_CHECK"
    syntax = admin.validate_resource_policy(SecretId=name, ResourcePolicy="{not json")
    assert syntax["ValidationErrors"] == [{"CheckName": "SYNTAX_CHECK", "ErrorMessage": "The policy document is not valid JSON."}]
    narrowed = policy(allow("secretsmanager:GetSecretValue", Principal="*",
                            Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}))
    assert admin.validate_resource_policy(ResourcePolicy=narrowed)["PolicyValidationPassed"] is True
    admin.put_resource_policy(SecretId=name, ResourcePolicy=narrowed, BlockPublicPolicy=True)


def test_cross_account_requires_both_policies(server, admin):
    name = unique("cross/")
    arn = admin.create_secret(Name=name, SecretString="cross-value")["ARN"]
    carol = User(server, unique("carol"), account=OTHER_ACCOUNT, policies=[policy(allow("secretsmanager:GetSecretValue"))])
    dave = User(server, unique("dave"), account=OTHER_ACCOUNT)
    # Identity policy only: denied, for want of the resource policy.
    message = denied(carol.sm.get_secret_value, SecretId=arn)
    assert "no resource-based policy allows" in message
    admin.put_resource_policy(SecretId=name, ResourcePolicy=policy(
        allow("secretsmanager:GetSecretValue", Principal={"AWS": [carol.arn, dave.arn]})))
    # Both: allowed (boto3 and the aws CLI).
    assert carol.sm.get_secret_value(SecretId=arn)["SecretString"] == "cross-value"
    assert carol.aws("get-secret-value", "--secret-id", arn, "--query", "SecretString", "--output", "text").stdout == "cross-value\n"
    # Resource policy only: denied, for want of an identity policy.
    assert "no identity-based policy allows" in denied(dave.sm.get_secret_value, SecretId=arn)
    # Carol may read, not write, and by name she looks in her own account.
    denied(carol.sm.put_secret_value, SecretId=arn, SecretString="changed")
    assert admin.get_secret_value(SecretId=name)["SecretString"] == "cross-value"
    with pytest.raises(ClientError) as e:
        carol.sm.get_secret_value(SecretId=name)
    assert code(e) in ("ResourceNotFoundException", "AccessDeniedException")


def test_conditions_over_http(server, admin):
    prefix = unique("cond")
    admin.create_secret(Name=f"{prefix}/blue", SecretString="blue-value", Tags=[{"Key": "team", "Value": "blue"}])
    admin.create_secret(Name=f"{prefix}/red", SecretString="red-value", Tags=[{"Key": "team", "Value": "red"}])
    admin.put_secret_value(SecretId=f"{prefix}/blue", SecretString="pending", VersionStages=["AWSPENDING"])
    erin = User(server, unique("erin"), policies=[policy(
        # ABAC on the secret's tag, only the current version, only from loopback, only before 2100.
        allow("secretsmanager:GetSecretValue", Condition={
            "StringEquals": {"aws:ResourceTag/team": "blue"},
            "StringEqualsIfExists": {"secretsmanager:VersionStage": "AWSCURRENT"},
            "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]},
            "DateLessThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"},
            "Bool": {"aws:SecureTransport": "false"}}),
        # Tags on create must carry team=blue and no other keys than team and env.
        allow("secretsmanager:CreateSecret", Condition={
            "StringEquals": {"aws:RequestTag/team": "blue"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
        allow("secretsmanager:TagResource", Condition={"ForAnyValue:StringLike": {"aws:TagKeys": "owner*"}}),
        deny("secretsmanager:DeleteSecret", Condition={"Null": {"aws:ResourceTag/protected": "false"}}),
        allow("secretsmanager:DeleteSecret"))])
    assert erin.sm.get_secret_value(SecretId=f"{prefix}/blue")["SecretString"] == "blue-value"
    denied(erin.sm.get_secret_value, SecretId=f"{prefix}/blue", VersionStage="AWSPENDING")
    denied(erin.sm.get_secret_value, SecretId=f"{prefix}/red")
    erin.sm.create_secret(Name=f"{prefix}/new", Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
    denied(erin.sm.create_secret, Name=f"{prefix}/red-new", Tags=[{"Key": "team", "Value": "red"}])
    denied(erin.sm.create_secret, Name=f"{prefix}/extra", Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}])
    erin.sm.tag_resource(SecretId=f"{prefix}/new", Tags=[{"Key": "owner", "Value": "erin"}])
    denied(erin.sm.tag_resource, SecretId=f"{prefix}/new", Tags=[{"Key": "team", "Value": "red"}])
    admin.tag_resource(SecretId=f"{prefix}/red", Tags=[{"Key": "protected", "Value": "yes"}])
    denied(erin.sm.delete_secret, SecretId=f"{prefix}/red")
    assert "DeletedDate" not in admin.describe_secret(SecretId=f"{prefix}/red")
    erin.sm.delete_secret(SecretId=f"{prefix}/new", ForceDeleteWithoutRecovery=True)


def test_policy_variables_give_each_user_their_own_secrets(server, admin):
    """One policy for every developer: their own prefix by ${aws:username}, and secrets tagged with their name."""
    first, second = unique("dev"), unique("dev")
    for name in (first, second):
        admin.create_secret(Name=f"{name}/scratch", SecretString=f"{name}-value")
    shared = unique("shared-owned/")
    admin.create_secret(Name=shared, SecretString="owned-value", Tags=[{"Key": "owner", "Value": first}])
    document = policy(
        allow("secretsmanager:*", "arn:aws:secretsmanager:*:*:secret:${aws:username}/*"),
        allow("secretsmanager:GetSecretValue", Condition={"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}))
    one, two = User(server, first, policies=[document]), User(server, second, policies=[document])
    assert one.sm.get_secret_value(SecretId=f"{first}/scratch")["SecretString"] == f"{first}-value"
    one.sm.put_secret_value(SecretId=f"{first}/scratch", SecretString="changed")
    denied(one.sm.get_secret_value, SecretId=f"{second}/scratch")
    denied(one.sm.put_secret_value, SecretId=f"{second}/scratch", SecretString="not yours")
    assert admin.get_secret_value(SecretId=f"{second}/scratch")["SecretString"] == f"{second}-value"
    assert one.sm.get_secret_value(SecretId=shared)["SecretString"] == "owned-value"
    denied(two.sm.get_secret_value, SecretId=shared)
    assert two.sm.get_secret_value(SecretId=f"{second}/scratch")["SecretString"] == f"{second}-value"


def test_a_resource_policy_deny_on_the_network_binds_the_administrator(server, admin):
    name = unique("fenced/")
    admin.create_secret(Name=name, SecretString="before")
    admin.put_resource_policy(SecretId=name, ResourcePolicy=policy(
        deny("secretsmanager:PutSecretValue", Principal="*", Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    message = denied(admin.put_secret_value, SecretId=name, SecretString="after")
    assert message.endswith("with an explicit deny in a resource-based policy")
    assert admin.get_secret_value(SecretId=name)["SecretString"] == "before"


def test_assume_role_over_sts_with_session_tokens(server, admin):
    prefix = unique("roles")
    admin.create_secret(Name=f"{prefix}/report", SecretString="report-value")
    admin.create_secret(Name=f"{prefix}/other", SecretString="other-value")
    frank = User(server, unique("frank"))
    grace = User(server, unique("grace"), policies=[policy(allow("sts:AssumeRole"))])
    role = unique("reader")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": frank.arn}, "Action": "sts:AssumeRole"})
    lockstep(server, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust)
    lockstep(server, "iam", "put-role-policy", "--role-name", role, "--policy-name", "read", "--policy-document",
             policy(allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:*:secret:{prefix}/*")))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"

    def sts(user):
        return boto3.client("sts", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=user.key,
                            aws_secret_access_key=user.secret, config=Config(retries={"max_attempts": 1}))

    assert sts(frank).get_caller_identity()["Arn"] == frank.arn
    with pytest.raises(ClientError) as e:
        sts(grace).assume_role(RoleArn=role_arn, RoleSessionName="grace")
    assert code(e) == "AccessDenied"
    assumed = sts(frank).assume_role(RoleArn=role_arn, RoleSessionName="frank-session",
                                     Policy=policy(allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:*:secret:{prefix}/report-*")))
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/frank-session"
    session = boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                           aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=credentials["SessionToken"], config=Config(retries={"max_attempts": 1}))
    assert session.get_secret_value(SecretId=f"{prefix}/report")["SecretString"] == "report-value"
    # The session policy narrows the role: the other secret is the role's, not the session's.
    assert "no session policy allows" in denied(session.get_secret_value, SecretId=f"{prefix}/other")
    # Without (or with a wrong) session token the temporary key is refused.
    for token in (None, "not-the-token"):
        bad = boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                           aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=token, config=Config(retries={"max_attempts": 1}))
        with pytest.raises(ClientError) as e:
            bad.get_secret_value(SecretId=f"{prefix}/report")
        assert code(e) == "UnrecognizedClientException"
    # The aws CLI, end to end: sts assume-role, then secretsmanager with the session's credentials.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=frank.key, AWS_SECRET_ACCESS_KEY=frank.secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="")
    out = subprocess.run(["aws", "sts", "assume-role", "--endpoint-url", server.url, "--role-arn", role_arn,
                          "--role-session-name", "cli"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    cli_credentials = json.loads(out.stdout)["Credentials"]
    env.update(AWS_ACCESS_KEY_ID=cli_credentials["AccessKeyId"], AWS_SECRET_ACCESS_KEY=cli_credentials["SecretAccessKey"],
               AWS_SESSION_TOKEN=cli_credentials["SessionToken"])
    got = subprocess.run(["aws", "secretsmanager", "get-secret-value", "--endpoint-url", server.url, "--secret-id",
                          f"{prefix}/other", "--query", "SecretString", "--output", "text"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert got.stdout == "other-value\n", got.stderr
    # The operator's own command issues sessions too (the default trust policy admits the account).
    operator_role = unique("ops")
    lockstep(server, "iam", "create-role", "--role-name", operator_role)
    issued = json.loads(lockstep(server, "iam", "assume-role", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/{operator_role}",
                                 "--role-session-name", "ops").stdout)
    assert issued["Credentials"]["SessionToken"] and issued["AssumedRoleUser"]["Arn"].endswith(f"{operator_role}/ops")


def wait_for_audit(server, event_name, count=1, **filters):
    args = ["audit", "list", "--event-name", event_name]
    for option, value in filters.items():
        args += [f"--{option.replace('_', '-')}", value]
    def records():
        lines = [json.loads(line) for line in lockstep(server, *args).stdout.splitlines() if line.strip()]
        return lines if len(lines) >= count else None
    return wait_for(records, timeout=5, what=f"{count} {event_name} audit records for {filters}", interval=0.1)


def test_audit_records_allowed_and_denied_calls_without_values(server, admin):
    value = f"audit-plaintext-{uuid.uuid4().hex}"
    name = unique("audited/")
    admin.create_secret(Name=name, SecretString=value)
    admin.put_secret_value(SecretId=name, SecretString=value + "-v2")
    password = admin.get_random_password(PasswordLength=40)["RandomPassword"]
    nosy = User(server, unique("nosy"))
    denied(nosy.sm.get_secret_value, SecretId=name)
    records = wait_for_audit(server, "GetSecretValue", principal=nosy.arn)
    record = records[-1]
    assert record["errorCode"] == "AccessDeniedException"
    assert record["userIdentity"]["arn"] == nosy.arn and record["userIdentity"]["type"] == "IAMUser"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["requestParameters"] == {"SecretId": name}
    assert record["eventSource"] == "secretsmanager.amazonaws.com" and record["eventType"] == "AwsApiCall"
    assert record["readOnly"] is True and record["resources"][0]["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-")
    put = wait_for_audit(server, "PutSecretValue", secret_id=name)[-1]
    assert "SecretString" not in put["requestParameters"] and put["responseElements"]["VersionStages"] == ["AWSCURRENT"]
    admin.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    admin.restore_secret(SecretId=name)
    assert len(wait_for_audit(server, "StartSecretVersionDelete", count=2, secret_id=name)) == 2
    assert len(wait_for_audit(server, "CancelSecretVersionDelete", count=2, secret_id=name)) == 2
    verified = lockstep(server, "audit", "verify")
    assert verified.stdout.startswith("audit log intact:"), verified.stderr
    # No secret value or generated password in the store, its WAL, the server's log or the audit output.
    dump = lockstep(server, "audit", "list", "--max-items", "100000").stdout
    blobs = {"audit list": dump.encode(), "server log": server.server_log().encode(), **stored_bytes(server)}
    for where, blob in blobs.items():
        for secret in (value, value + "-v2", password):
            assert secret.encode() not in blob, f"a secret value is in {where}"


@pytest.fixture(scope="module")
def tamper_source(tmp_path_factory):
    if STORE != "sqlite":
        pytest.skip("tampers with the SQLite files of a data directory")
    """A server run whose audit log gets copied and tampered with (the server stopped, so the files are still)."""
    s = Server("--audit-file", str(tmp_path_factory.mktemp("audit") / "audit.jsonl"))
    sm = s.client()
    for index in range(6):
        sm.create_secret(Name=f"tamper/{index}", SecretString=f"t-{index}")
    s.stop()
    yield os.path.join(s.directory, "data")
    s.close()


@pytest.mark.parametrize("case, sql, expected", [
    ("edit", "UPDATE audit_events SET record = replace(record, 'us-east-1', 'eu-west-1') WHERE sequence = 5",
     "record 5 was changed"),
    ("delete", "DELETE FROM audit_events WHERE sequence = 4", "record 4 is missing"),
    ("reorder", "UPDATE audit_events SET sequence = -1 WHERE sequence = 2; UPDATE audit_events SET sequence = 2 WHERE sequence = 3; "
                "UPDATE audit_events SET sequence = 3 WHERE sequence = -1", "record 2 doesn't follow record 1"),
    ("truncate", "DELETE FROM audit_events WHERE sequence > 4", "the log is truncated: it ends at record 4"),
])
def test_audit_verify_finds_tampering(tamper_source, tmp_path, case, sql, expected):
    data = tmp_path / "data"
    shutil.copytree(tamper_source, data)
    intact = subprocess.run([LOCKSTEP, "audit", "verify", "--data-dir", str(data)], capture_output=True, text=True, timeout=60)
    assert intact.returncode == 0 and "intact" in intact.stdout, intact.stderr
    with sqlite3.connect(data / "audit.db") as db:
        db.executescript(sql)
    result = subprocess.run([LOCKSTEP, "audit", "verify", "--data-dir", str(data)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout
    assert expected in result.stderr, result.stderr


def test_audit_list_filters_on_the_hashed_record(tamper_source, tmp_path):
    """Rewriting the unhashed filter columns hides nothing: `audit list` filters on the record itself."""
    data = tmp_path / "data"
    shutil.copytree(tamper_source, data)

    def listed(*filters):
        result = subprocess.run([LOCKSTEP, "audit", "list", "--data-dir", str(data), *filters],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    created = listed("--event-name", "CreateSecret")
    assert len(created) == 6
    principal = created[0]["userIdentity"]["arn"]
    before = listed("--principal", principal)
    with sqlite3.connect(data / "audit.db") as db:
        db.executescript("UPDATE audit_events SET principal = 'arn:aws:iam::000000000000:user/nobody', "
                         "event_name = 'ListSecrets', secret_arn = NULL, event_time = 0")
    assert [r["eventID"] for r in listed("--principal", principal)] == [r["eventID"] for r in before]
    assert len(listed("--event-name", "CreateSecret")) == 6
    assert len(listed("--secret-id", "tamper/3")) >= 1
    assert listed("--principal", "arn:aws:iam::000000000000:user/nobody") == []
    # And `verify` names the first rewritten column (the record it sits beside is intact).
    verified = subprocess.run([LOCKSTEP, "audit", "verify", "--data-dir", str(data)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 1, verified.stdout
    assert "record 1's event_name column was rewritten" in verified.stderr, verified.stderr
