"""The seed's commands with the real aws CLI, and the lockstep CLI as a client of the same server."""
import os
import subprocess

from conftest import LOCKSTEP
from lockstep_server import wait_for


def test_the_seed_commands(server, name):
    created = server.aws_json("create-secret", "--name", name, "--secret-string", '{"username":"app","password":"one"}')
    assert created["Name"] == name
    server.aws("put-secret-value", "--secret-id", name, "--secret-string", '{"username":"app","password":"two"}')
    described = server.aws_json("describe-secret", "--secret-id", name)
    assert sorted(sum(described["VersionIdsToStages"].values(), [])) == ["AWSCURRENT", "AWSPREVIOUS"]
    text = server.aws("get-secret-value", "--secret-id", name, "--query", "SecretString", "--output", "text")
    assert text.stdout == '{"username":"app","password":"two"}\n'
    previous = server.aws("get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS",
                          "--query", "SecretString", "--output", "text")
    assert previous.stdout == '{"username":"app","password":"one"}\n'


def test_every_core_operation(server, name, tmp_path):
    blob = tmp_path / "key.bin"
    blob.write_bytes(bytes(range(64)))
    server.aws("create-secret", "--name", name, "--secret-binary", f"fileb://{blob}", "--tags", "Key=env,Value=prod")
    listed = server.aws_json("list-secrets", "--filters", "Key=tag-value,Values=prod", "--query", "SecretList[*].Name")
    assert name in listed
    versions = server.aws_json("list-secret-version-ids", "--secret-id", name)
    assert len(versions["Versions"]) == 1
    server.aws("tag-resource", "--secret-id", name, "--tags", "Key=team,Value=core")
    server.aws("untag-resource", "--secret-id", name, "--tag-keys", "env")
    server.aws("update-secret", "--secret-id", name, "--description", "tls key")
    batch = server.aws_json("batch-get-secret-value", "--secret-id-list", name)
    assert batch["SecretValues"][0]["Name"] == name
    password = server.aws("get-random-password", "--password-length", "20", "--query", "RandomPassword", "--output", "text")
    assert len(password.stdout.strip()) == 20
    server.aws("delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
    server.aws("restore-secret", "--secret-id", name)
    server.aws("delete-secret", "--secret-id", name, "--force-delete-without-recovery")


def test_errors_show_the_aws_code(server, name):
    result = server.aws("get-secret-value", "--secret-id", name, check=False)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert "Secrets Manager can't find the specified secret." in result.stderr


def test_lockstep_cli_as_a_client(server, name, tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=server.access_key_id, AWS_SECRET_ACCESS_KEY=server.secret_access_key,
               AWS_REGION="us-east-1", LOCKSTEP_DATA_DIR=str(tmp_path / "unused"))

    def lockstep(*args):
        return subprocess.run([LOCKSTEP, *args, "--endpoint-url", server.url], capture_output=True, text=True, env=env,
                              timeout=60)

    assert lockstep("create-secret", "--name", name, "--secret-string", "from-lockstep").returncode == 0
    got = lockstep("get-secret-value", "--secret-id", name, "--query", "SecretString", "--output", "text")
    assert got.stdout == "from-lockstep\n"
    assert server.client().get_secret_value(SecretId=name)["SecretString"] == "from-lockstep"
    missing = lockstep("describe-secret", "--secret-id", name + "-missing")
    assert missing.returncode == 254
    assert "ResourceNotFoundException" in missing.stderr
    # Credentials from a profile in a shared credentials file.
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[ops]\naws_access_key_id = {server.access_key_id}\n"
                           f"aws_secret_access_key = {server.secret_access_key}\n")
    env.pop("AWS_ACCESS_KEY_ID")
    env.pop("AWS_SECRET_ACCESS_KEY")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
    profiled = lockstep("get-secret-value", "--secret-id", name, "--profile", "ops", "--query", "SecretString",
                        "--output", "text")
    assert profiled.stdout == "from-lockstep\n", profiled.stderr
    assert not (tmp_path / "unused").exists()


def test_access_keys_can_be_managed_and_imported(server, tmp_path, name):
    data = os.path.join(server.directory, "data")
    imported = subprocess.run([LOCKSTEP, "iam", "create-access-key", "--data-dir", data, "--account-id", "123456789012",
                               "--user-name", "ci", "--access-key-id", "AKIAIMPORTEDKEY00001",
                               "--secret-access-key", "imported-secret-imported-secret"],
                              capture_output=True, text=True, check=True, env=server.cli_env())
    assert "AKIAIMPORTEDKEY00001" in imported.stdout
    sm = server.client(key="AKIAIMPORTEDKEY00001", secret="imported-secret-imported-secret")
    sm.create_secret(Name=name, SecretString="x")
    listed = subprocess.run([LOCKSTEP, "iam", "list-access-keys", "--data-dir", data], capture_output=True, text=True,
                            check=True, env=server.cli_env()).stdout
    assert "AKIAIMPORTEDKEY00001" in listed and "imported-secret" not in listed
    subprocess.run([LOCKSTEP, "iam", "delete-access-key", "--data-dir", data, "--access-key-id", "AKIAIMPORTEDKEY00001"],
                   check=True, capture_output=True, env=server.cli_env())
    # A running server reuses a looked-up key for up to 2 seconds (like IAM, deletion takes a moment to propagate).
    def refused():
        try:
            sm.describe_secret(SecretId=name)
            return None
        except sm.exceptions.ClientError as error:
            return error.response["Error"]["Code"]
    assert wait_for(refused, timeout=10, what="the deleted key to stop working", interval=0.2) == "UnrecognizedClientException"
