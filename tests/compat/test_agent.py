"""`lockstep agent`: AWS's Secrets Manager Agent's local API, against real `lockstep serve` and agent processes.

Code written for AWS's agent (curl and a Python client as in AWS's documentation) works unchanged; the SSRF checks
hold; and because the agent follows the change feed, a rotated secret is served fresh within a second although the
TTL is 300 s, also after the feed was lost and the server restarted."""
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import ACCOUNT, LOCKSTEP, Server
from lockstep_server import unique, wait_for
from test_process_rotators import FIXTURES, LAMBDA_ARN, wait_for_rotation

TOKEN = "agent-token-" + "x" * 20


class Agent:
    """A `lockstep agent` on a free loopback port, signing with `key`/`secret`, reading TOML `config`."""

    def __init__(self, endpoint, key, secret, tmp_path, config="ttl_seconds = 300\n", env_token=TOKEN, extra=()):
        self.config = tmp_path / "agent.toml"
        self.config.write_text(config)
        self.log = open(tmp_path / "agent.log", "w+")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1")
        if env_token is not None:
            env["AWS_TOKEN"] = env_token
        self.process = subprocess.Popen(
            [LOCKSTEP, "agent", "--config", str(self.config), "--endpoint-url", endpoint, "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if not match:
            self.process.wait(timeout=10)
            self.log.seek(0)
            raise AssertionError(f"the agent did not start: {line!r} {self.log.read()}")
        self.url = match.group(1)
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def get(self, secret_id, token=TOKEN, headers=None, **params):
        headers = dict(headers or {})
        if token is not None:
            headers["X-Aws-Parameters-Secrets-Token"] = token
        return requests.get(f"{self.url}/secretsmanager/get", params={"secretId": secret_id, **params}, headers=headers,
                            timeout=30)

    def value(self, secret_id, **params):
        response = self.get(secret_id, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def following(self):
        self.log.flush()
        with open(self.log.name) as f:
            return "following the change feed" in f.read()

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def agent(server, tmp_path):
    a = Agent(server.urls[0], server.access_key_id, server.secret_access_key, tmp_path)
    wait_for(a.following, timeout=30, what="the agent to follow the change feed")
    yield a
    a.close()


def test_curl_and_python_as_in_aws_docs_get_the_secret(server, agent, tmp_path):
    sm = server.client()
    name = unique("agent/prod/db-")
    created = sm.create_secret(Name=name, SecretString='{"password":"agent-Passw0rd"}')
    token_file = tmp_path / "awssmatoken"
    token_file.write_text(TOKEN + "\n")
    port = agent.url.rsplit(":", 1)[1]
    # AWS's curl example, verbatim but for the port and the token file's path.
    out = subprocess.run(["bash", "-c", f"curl -sS -H \"X-Aws-Parameters-Secrets-Token: $(<{token_file})\" "
                                        f"'http://localhost:{port}/secretsmanager/get?secretId={name}'"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    body = json.loads(out)
    assert body["ARN"] == created["ARN"] and body["Name"] == name and body["VersionId"] == created["VersionId"]
    assert body["SecretString"] == '{"password":"agent-Passw0rd"}' and body["VersionStages"] == ["AWSCURRENT"]
    assert isinstance(body["CreatedDate"], str) and float(body["CreatedDate"]) > 1.7e9
    # AWS's Python example.
    with open(token_file) as fp:
        token = fp.read()
    response = requests.get(f"http://localhost:{port}/secretsmanager/get?secretId={name}",
                            headers={"X-Aws-Parameters-Secrets-Token": token.strip()})
    assert response.status_code == 200 and response.json() == body
    # The path route keeps slashes and decodes %2F; versionStage and versionId select a version.
    for path in [name, name.replace("/", "%2F")]:
        via_path = requests.get(f"{agent.url}/v1/{path}", headers={"X-Aws-Parameters-Secrets-Token": TOKEN}, timeout=30)
        assert via_path.status_code == 200 and via_path.json()["ARN"] == created["ARN"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="second")["VersionId"]
    assert agent.value(name, versionStage="AWSPREVIOUS")["VersionId"] == created["VersionId"]
    assert agent.value(name, versionId=v2)["SecretString"] == "second"
    # The shipped binary value is base64, as in GetSecretValue.
    binary = unique("agent-bin-")
    sm.create_secret(Name=binary, SecretBinary=b"\x00\x01\xff")
    assert agent.value(binary)["SecretBinary"] == "AAH/"


def test_the_ssrf_checks_and_errors_answer_as_aws_agent(server, agent):
    name = unique("agent-ssrf-")
    server.client().create_secret(Name=name, SecretString="v")
    assert agent.get(name, token=None).status_code == 403
    assert agent.get(name, token="wrong").status_code == 403
    assert agent.get(name, token=TOKEN[:-1]).status_code == 403
    forwarded = agent.get(name, headers={"X-Forwarded-For": "10.0.0.1"})
    assert forwarded.status_code == 400 and forwarded.text == "Forwarded"
    # Another configured header carries the token too (X-Vault-Token is in AWS's default list).
    assert agent.get(name, token=None, headers={"X-Vault-Token": TOKEN}).status_code == 200
    posted = requests.post(f"{agent.url}/secretsmanager/get?secretId={name}", headers={"X-Aws-Parameters-Secrets-Token": TOKEN})
    assert posted.status_code == 405
    assert requests.get(f"{agent.url}/ping", timeout=10).text == "healthy"
    missing = agent.get(unique("agent-missing-"))
    assert missing.status_code == 400 and missing.json()["__type"] == "ResourceNotFoundException"
    unknown = requests.get(f"{agent.url}/secretsmanager/get?secretId={name}&abc=1", headers={"X-Aws-Parameters-Secrets-Token": TOKEN})
    assert unknown.status_code == 400 and unknown.text == "unknown parameter: abc"
    assert agent.get(name, refreshNow="maybe").status_code == 400
    assert requests.get(f"{agent.url}/secretsmanager/get", headers={"X-Aws-Parameters-Secrets-Token": TOKEN}).status_code == 400


def test_the_agent_refuses_to_start_without_a_token_or_with_a_bad_configuration(server, tmp_path):
    for config, token, needle in [("", None, "SSRF token"), ("ttl_seconds = 4000\n", TOKEN, "ttl_seconds"),
                                  ("tll_seconds = 3\n", TOKEN, "unknown configuration key tll_seconds"),
                                  ("ttl_seconds = [\n", TOKEN, "not valid TOML")]:
        path = tmp_path / "bad.toml"
        path.write_text(config)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s")
        if token:
            env["AWS_TOKEN"] = token
        result = subprocess.run([LOCKSTEP, "agent", "--config", str(path), "--endpoint-url", server.urls[0], "--port", "0"],
                                capture_output=True, text=True, env=env, timeout=30)
        assert result.returncode != 0 and needle in result.stderr, (config, result.stderr)


def test_a_rotated_secret_is_served_fresh_within_a_second_despite_a_300_s_ttl(tmp_path):
    server = Server("--rotators-dir", FIXTURES, "--retry-base-delay", "0.2", "--max-attempts", "1")
    agent = None
    try:
        sm = server.client()
        name = unique("agent-rotated-")
        trace = tmp_path / "trace"
        arn = sm.create_secret(Name=name, SecretString=json.dumps({"username": "svc", "password": "initial-Passw0rd",
                                                                  "trace": str(trace)}))["ARN"]
        agent = Agent(server.urls[0], server.access_key_id, server.secret_access_key, tmp_path)
        wait_for(agent.following, timeout=30, what="the agent to follow the change feed")
        before = agent.value(name)
        started = sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + "python-boto3")
        entry = wait_for_rotation(server, arn)
        assert entry["Status"] == "succeeded", entry
        done = time.monotonic()
        fresh = wait_for(lambda: (v := agent.value(name))["VersionId"] == started["VersionId"] and v, timeout=5,
                         what="the agent to serve the rotated value", interval=0.01)
        staleness = time.monotonic() - done
        print(f"\nagent staleness after rotate-secret completed: {staleness * 1000:.0f} ms (ttl_seconds = 300)")
        assert staleness < 1.0
        assert fresh["VersionId"] != before["VersionId"] and json.loads(fresh["SecretString"])["password"] != "initial-Passw0rd"
    finally:
        if agent:
            agent.close()
        server.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_change_made_while_the_server_was_down_reaches_the_agent_after_the_restart(tmp_path):
    """The agent keeps its cursor: the change (made with the CLI on the data directory while no server ran) comes
    with the first poll after the restart, and the agent drops the stale value."""
    port = free_port()
    server = Server("--listen", f"127.0.0.1:{port}", nodes=1, store="sqlite")
    agent = None
    try:
        name = unique("agent-restart-")
        server.client().create_secret(Name=name, SecretString="before-restart")
        agent = Agent(server.urls[0], server.access_key_id, server.secret_access_key, tmp_path)
        wait_for(agent.following, timeout=30, what="the agent to follow the change feed")
        assert agent.value(name)["SecretString"] == "before-restart"
        server.stop()
        subprocess.run([LOCKSTEP, "put-secret-value", "--secret-id", name, "--secret-string", "changed-while-down",
                        "--data-dir", os.path.join(server.directory, "data"), "--account-id", ACCOUNT],
                       check=True, capture_output=True, timeout=60)
        assert agent.value(name)["SecretString"] == "before-restart"  # cached; the upstream is away
        server.start()
        wait_for(lambda: agent.value(name)["SecretString"] == "changed-while-down", timeout=40,
                 what="the agent to hear of the change made while the server was down")
    finally:
        if agent:
            agent.close()
        server.close()


CHILD = """
import os, signal, sys, time
log = open(sys.argv[1], "a", buffering=1)
log.write("env " + ",".join(sorted(k for k in os.environ if k.startswith("AWS_"))) + "\\n")
def reread(*_):
    with open(sys.argv[2]) as f:
        log.write("hup " + f.read() + "\\n")
signal.signal(signal.SIGHUP, reread)
signal.signal(signal.SIGTERM, lambda *_: (log.write("term\\n"), sys.exit(0)))
log.write(f"started {os.getpid()}\\n")
while True:
    time.sleep(3600)
"""


def test_rendered_files_follow_the_secret_and_the_child_is_told(server, tmp_path):
    sm = server.client()
    name = unique("agent/render-")
    sm.create_secret(Name=name, SecretString=json.dumps({"username": "app", "password": "first-Passw0rd"}))
    out = tmp_path / "out"
    out.mkdir()
    template = tmp_path / "db.conf.tmpl"
    template.write_text("user={{ %s#username }}\npassword={{%s#password}}\n" % (name, name))
    child, log = tmp_path / "child.py", tmp_path / "child.log"
    child.write_text(CHILD)
    agent = Agent(server.urls[0], server.access_key_id, server.secret_access_key, tmp_path, extra=[
        "--render", f"{name}:{out}/value.json", "--render", f"{name}#password:{out}/password",
        "--render-template", f"{template}:{out}/db.conf", "--exec", "--", "python3", str(child), str(log), f"{out}/password"])
    try:
        wait_for(lambda: log.exists() and "started" in log.read_text(), what="the child to start after the files were rendered")
        assert (out / "password").read_text() == "first-Passw0rd"
        assert json.loads((out / "value.json").read_text())["username"] == "app"
        assert (out / "db.conf").read_text() == "user=app\npassword=first-Passw0rd\n"
        for path in out.iterdir():
            assert path.stat().st_mode & 0o777 == 0o600, path
        # The child has the SSRF token to call the agent, not the credentials the agent signs with.
        env_line = next(line for line in log.read_text().splitlines() if line.startswith("env "))
        assert "AWS_TOKEN" in env_line and "AWS_SECRET_ACCESS_KEY" not in env_line and "AWS_ACCESS_KEY_ID" not in env_line
        sm.put_secret_value(SecretId=name, SecretString=json.dumps({"username": "app", "password": "second-Passw0rd"}))
        wait_for(lambda: "hup second-Passw0rd" in log.read_text(), timeout=10,
                 what="the child to be signalled after the file changed")
        assert (out / "db.conf").read_text() == "user=app\npassword=second-Passw0rd\n"
        assert sorted(p.name for p in out.iterdir()) == ["db.conf", "password", "value.json"]  # no temporary left
    finally:
        agent.close()
    assert "term" in log.read_text()  # the agent stopped its child


def test_the_agent_ends_with_its_childs_status(server, tmp_path):
    name = unique("agent-exit-")
    server.client().create_secret(Name=name, SecretString="v")
    agent = Agent(server.urls[0], server.access_key_id, server.secret_access_key, tmp_path,
                  extra=["--render", f"{name}:{tmp_path}/v", "--exec", "--", "sh", "-c", "test \"$(cat $0)\" = v && exit 3",
                         str(tmp_path / "v")])
    try:
        assert agent.process.wait(timeout=30) == 3
    finally:
        agent.close()
    assert server.secret_access_key not in (tmp_path / "agent.log").read_text()


PG = {k: os.environ.get(f"LOCKSTEP_TEST_POSTGRES_{k}") for k in ("HOST", "PORT", "USER", "PASSWORD")}
needs_postgres = pytest.mark.skipif(not all(PG.values()) and os.environ.get("LOCKSTEP_REQUIRE_DATABASES") != "1",
                                    reason="needs scripts/testdb.sh start postgres")


def psql(sql, user, password):
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
    result = subprocess.run(["psql", "-h", PG["HOST"], "-p", PG["PORT"], "-U", user, "-d", "postgres", "-tAqc", sql],
                            capture_output=True, text=True, env=env, timeout=30)
    return result.stdout.strip() if result.returncode == 0 else None


@needs_postgres
def test_an_application_reading_the_agent_never_fails_a_login_through_ten_alternating_rotations(server, agent):
    """The application loop of a real service: every 50 ms it asks the agent for the credentials and logs in to
    PostgreSQL with psql. Ten rotations of the alternating-users rotator run meanwhile; no login may fail."""
    sm = server.client()
    user, password = "agent" + uuid_hex(), uuid_hex() + "Aa1"
    assert psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'", PG["USER"], PG["PASSWORD"]) is not None
    master = sm.create_secret(Name=unique("agent-master-"), SecretString=json.dumps({
        "engine": "postgres", "host": PG["HOST"], "port": int(PG["PORT"]), "username": PG["USER"],
        "password": PG["PASSWORD"], "dbname": "postgres"}))
    name = unique("agent-app-")
    sm.create_secret(Name=name, SecretString=json.dumps({
        "engine": "postgres", "host": PG["HOST"], "port": int(PG["PORT"]), "username": user, "password": password,
        "dbname": "postgres", "masterarn": master["ARN"]}))
    stop = threading.Event()
    attempts, failures = [], []

    def application():
        while not stop.is_set():
            credentials = json.loads(agent.value(name)["SecretString"])
            attempts.append(credentials["username"])
            if psql("SELECT 1", credentials["username"], credentials["password"]) != "1":
                failures.append(credentials["username"])
            stop.wait(0.05)

    loop = threading.Thread(target=application)
    loop.start()
    try:
        for _ in range(10):
            token = sm.rotate_secret(SecretId=name, RotationLambdaARN=
                                     "arn:aws:lambda:us-east-1:123456789012:function:postgres-multi-user")["VersionId"]
            wait_for(lambda: sm.describe_secret(SecretId=name)["VersionIdsToStages"].get(token) == ["AWSCURRENT"],
                     timeout=60, what="the rotation to finish")
            # The application logs in a few times with each rotation's credentials before the next one.
            seen = len(attempts)
            wait_for(lambda: len(attempts) >= seen + 3, timeout=30, what="the application to log in again")
    finally:
        stop.set()
        loop.join(timeout=60)
        for role in (user, user + "_clone"):
            psql(f"DROP ROLE IF EXISTS {role}", PG["USER"], PG["PASSWORD"])
    print(f"\napplication loop through 10 rotations: {len(attempts)} logins, {len(failures)} failed, "
          f"users seen {sorted(set(attempts))}")
    assert failures == []
    assert set(attempts) == {user, user + "_clone"} and len(attempts) >= 30


def uuid_hex():
    return os.urandom(5).hex()
