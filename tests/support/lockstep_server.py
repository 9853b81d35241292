"""A real `lockstep serve` on a free loopback port, driven with boto3 and the aws CLI: shared by every pytest suite."""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCKSTEP = os.environ.get("LOCKSTEP_BIN", os.path.join(ROOT, ".build", "debug", "lockstep"))
ACCOUNT = "123456789012"
# "postgres": every Server is two `lockstep serve` nodes on a fresh PostgreSQL database of the test server
# (scripts/testdb.sh), and its clients and aws CLI calls take turns between the nodes.
STORE = os.environ.get("LOCKSTEP_TEST_STORE", "sqlite")
sqlite_only = pytest.mark.skipif(STORE != "sqlite", reason="reads or edits the SQLite files of a data directory")


def postgres_admin(*sql):
    """Runs statements as the PostgreSQL test server's superuser; returns a URI for `database`."""
    env = dict(os.environ, PGPASSWORD=os.environ["LOCKSTEP_TEST_POSTGRES_PASSWORD"])
    for statement in sql:
        subprocess.run(["psql", "-h", os.environ["LOCKSTEP_TEST_POSTGRES_HOST"], "-p", os.environ["LOCKSTEP_TEST_POSTGRES_PORT"],
                        "-U", os.environ["LOCKSTEP_TEST_POSTGRES_USER"], "-d", "postgres", "-qAtc", statement],
                       check=True, capture_output=True, env=env, timeout=60)


def postgres_uri(database, port=None):
    user = urllib.parse.quote(os.environ["LOCKSTEP_TEST_POSTGRES_USER"], safe="")
    password = urllib.parse.quote(os.environ["LOCKSTEP_TEST_POSTGRES_PASSWORD"], safe="")
    return (f"postgresql://{user}:{password}@{os.environ['LOCKSTEP_TEST_POSTGRES_HOST']}:"
            f"{port or os.environ['LOCKSTEP_TEST_POSTGRES_PORT']}/{database}")


class Server:
    """`lockstep serve` on 127.0.0.1:0 with its own data directory, the administrator key read from its stdout;
    `nofile` lowers the server's open-file limit. With LOCKSTEP_TEST_STORE=postgres, `nodes` nodes on a fresh
    database (`url` is the first's; clients and aws CLI calls take turns between `urls`)."""

    def __init__(self, *extra_args, nofile=None, nodes=2, store=None, database=None, root_key=None, port=None, uri=None):
        """`store` overrides LOCKSTEP_TEST_STORE; `database` runs the nodes on an existing PostgreSQL database (dropped
        on close) with `root_key` (base64), instead of a new store; `port` reaches PostgreSQL through another port
        (a relay); `uri` runs the nodes on the database of that URI, another server's (not dropped)."""
        self.directory = tempfile.mkdtemp(prefix="lockstep-test-")
        self.log_path = os.path.join(self.directory, "server.log")
        self.log = open(self.log_path, "w+")
        env = dict(os.environ)
        env.pop("LOCKSTEP_ROOT_KEY", None)
        if root_key:
            env["LOCKSTEP_ROOT_KEY"] = root_key

        def limit_files():
            if nofile is not None:
                _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

        self.extra_args = extra_args
        self.env = env
        self.limit_files = limit_files
        self.access_key_id = self.secret_access_key = None
        self.database = self.store_uri = None
        self.turn = 0
        self.nodes = nodes
        if database:
            self.database = database
        elif (store or STORE) == "postgres":
            self.database = "lockstep_compat_" + uuid.uuid4().hex
            postgres_admin(f"CREATE DATABASE {self.database}")
        if self.database:
            self.store_uri = postgres_uri(self.database, port)
        if uri:
            self.store_uri = uri
        self.start()

    def start(self):
        """Starts (or, after `stop`, restarts) the server on its data directory; the administrator key printed at
        the first start stays valid."""
        store = ["--store", self.store_uri] if self.store_uri else []
        first = store + ["--node-name", "node-a"] if store else []
        self.process, self.url = self.start_node(os.path.join(self.directory, "data"), first, self.env, self.log)
        self.port = int(self.url.rsplit(":", 1)[1])
        self.host = f"127.0.0.1:{self.port}"
        self.others, self.urls = [], [self.url]
        for index in range(1, self.nodes if self.store_uri else 1):
            name = f"node-{chr(ord('a') + index)}"
            process, url = self.start_node(os.path.join(self.directory, f"data-{name}"), store + ["--node-name", name],
                                           dict(self.env, LOCKSTEP_ROOT_KEY=self.root_key()), self.log)
            self.others.append(process)
            self.urls.append(url)

    def start_node(self, data, store, env, log):
        process = subprocess.Popen(
            [LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--account-id", ACCOUNT, *store, *self.extra_args],
            stdout=subprocess.PIPE, stderr=log, text=True, env=env, preexec_fn=self.limit_files,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("lockstep serve exited: " + self.server_log())
            if m := re.search(r"AWS_ACCESS_KEY_ID=(\S+)", line):
                self.access_key_id = m.group(1)
            if m := re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", line):
                self.secret_access_key = m.group(1)
            if m := re.search(r"listening on (https?://[\d.]+:(\d+))", line):
                url = m.group(1)
                break
        else:
            raise RuntimeError("lockstep serve did not start: " + self.server_log())
        # Keep reading stdout so the server can never block on a full pipe.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        return process, url

    def root_key(self):
        if "LOCKSTEP_ROOT_KEY" in self.env:
            return self.env["LOCKSTEP_ROOT_KEY"]
        with open(os.path.join(self.directory, "data", "root.key")) as f:
            return f.read().strip()

    def next_url(self):
        """The node whose turn it is (always the one with SQLite)."""
        self.turn += 1
        return self.urls[self.turn % len(self.urls)]

    def cli_env(self):
        """The environment of a `lockstep` CLI command on this server's store."""
        if not self.store_uri:
            return dict(os.environ)
        return dict(os.environ, LOCKSTEP_STORE=self.store_uri, LOCKSTEP_ROOT_KEY=self.root_key())

    def server_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def client(self, region="us-east-1", key=None, secret=None, node=None, timeout=None, retry=True):
        """A boto3 client of the node whose turn it is, or of node number `node`; `timeout` (seconds) bounds each
        call's connecting and reading (botocore's default: 60 s each). botocore's `max_attempts: 1` still retries
        once (a ServiceUnavailable, a dropped connection); `retry=False` makes every call a single attempt."""
        timeouts = {"connect_timeout": timeout, "read_timeout": timeout} if timeout else {}
        return boto3.client(
            "secretsmanager", endpoint_url=self.urls[node] if node is not None else self.next_url(), region_name=region,
            aws_access_key_id=key or self.access_key_id, aws_secret_access_key=secret or self.secret_access_key,
            config=Config(retries={"max_attempts": 1} if retry else {"total_max_attempts": 1}, **timeouts),
        )

    def aws(self, *args, region="us-east-1", check=True):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key_id, AWS_SECRET_ACCESS_KEY=self.secret_access_key,
                   AWS_DEFAULT_REGION=region, AWS_PAGER="")
        env.pop("AWS_PROFILE", None)
        result = subprocess.run(["aws", "secretsmanager", *args, "--endpoint-url", self.next_url()], capture_output=True,
                                text=True, env=env, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
        return result

    def aws_json(self, *args, **kwargs):
        return json.loads(self.aws(*args, **kwargs).stdout)

    def stop(self, sig=signal.SIGTERM):
        """Stops every node; the first's exit status."""
        for process in [self.process, *self.others]:
            if process.poll() is None:
                process.send_signal(sig)
        for process in [self.process, *self.others]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return self.process.returncode

    def close(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.database:
            postgres_admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")




@pytest.fixture(scope="session")
def server():
    """One real server for a test session (each suite's conftest imports this fixture)."""
    s = Server()
    yield s
    s.close()


# Identities and policies, made with the operator's `lockstep iam` on the server's data directory.

def wait_for(predicate, timeout=30, what="the condition", interval=0.05):
    """Polls `predicate` until it returns something truthy (returned), or fails after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stored_bytes(server):
    """Everything the server's store keeps at rest, by where: the data directory's files (the database, its WAL, the
    audit log) and, on PostgreSQL, a dump of the database."""
    blobs = {}
    for directory, _, files in os.walk(os.path.join(server.directory, "data")):
        for name in files:
            with open(os.path.join(directory, name), "rb") as f:
                blobs[name] = f.read()
    if server.store_uri:
        blobs["pg_dump"] = subprocess.run(["pg_dump", server.store_uri], capture_output=True, check=True, timeout=120).stdout
    return blobs


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def lockstep(server, *args, account=ACCOUNT, check=True):
    result = subprocess.run([LOCKSTEP, *args, "--data-dir", os.path.join(server.directory, "data"), "--account-id", account],
                            capture_output=True, text=True, timeout=60, env=server.cli_env())
    if check and result.returncode != 0:
        raise AssertionError(f"lockstep {' '.join(args)} failed: {result.stderr}")
    return result


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action="secretsmanager:*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="secretsmanager:*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


class User:
    """A user of an account with its own access key, and boto3 / aws CLI clients signing with it."""

    def __init__(self, server, name, account=ACCOUNT, policies=()):
        self.server, self.name, self.account = server, name, account
        self.arn = f"arn:aws:iam::{account}:user/{name}"
        lockstep(server, "iam", "create-user", "--user-name", name, account=account)
        for index, document in enumerate(policies):
            lockstep(server, "iam", "put-user-policy", "--user-name", name, "--policy-name", f"p{index}",
                     "--policy-document", document, account=account)
        key = json.loads(lockstep(server, "iam", "create-access-key", "--user-name", name, account=account).stdout)
        self.key, self.secret = key["AccessKey"]["AccessKeyId"], key["AccessKey"]["SecretAccessKey"]
        self.sm = server.client(key=self.key, secret=self.secret)

    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.key, AWS_SECRET_ACCESS_KEY=self.secret, AWS_DEFAULT_REGION="us-east-1",
                   AWS_PAGER="")
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        return subprocess.run(["aws", "secretsmanager", *args, "--endpoint-url", self.server.next_url()], capture_output=True,
                              text=True, env=env, timeout=120)


def denied(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    assert code(e) == "AccessDeniedException", e.value.response
    return e.value.response["Error"]["Message"]
