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

import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCKSTEP = os.environ.get("LOCKSTEP_BIN", os.path.join(ROOT, ".build", "debug", "lockstep"))
ACCOUNT = "123456789012"


class Server:
    """`lockstep serve` on 127.0.0.1:0 with its own data directory, the administrator key read from its stdout;
    `nofile` lowers the server's open-file limit."""

    def __init__(self, *extra_args, nofile=None):
        self.directory = tempfile.mkdtemp(prefix="lockstep-test-")
        self.log_path = os.path.join(self.directory, "server.log")
        self.log = open(self.log_path, "w+")
        env = dict(os.environ)
        env.pop("LOCKSTEP_ROOT_KEY", None)

        def limit_files():
            if nofile is not None:
                _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

        self.extra_args = extra_args
        self.env = env
        self.limit_files = limit_files
        self.access_key_id = self.secret_access_key = None
        self.start()

    def start(self):
        """Starts (or, after `stop`, restarts) the server on its data directory; the administrator key printed at
        the first start stays valid."""
        self.process = subprocess.Popen(
            [LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.directory, "data"),
             "--account-id", ACCOUNT, *self.extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=self.env, preexec_fn=self.limit_files,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("lockstep serve exited: " + self.server_log())
            if m := re.search(r"AWS_ACCESS_KEY_ID=(\S+)", line):
                self.access_key_id = m.group(1)
            if m := re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", line):
                self.secret_access_key = m.group(1)
            if m := re.search(r"listening on (https?://[\d.]+:(\d+))", line):
                self.url = m.group(1)
                self.port = int(m.group(2))
                break
        else:
            raise RuntimeError("lockstep serve did not start: " + self.server_log())
        # Keep reading stdout so the server can never block on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.host = f"127.0.0.1:{self.port}"

    def server_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def client(self, region="us-east-1", key=None, secret=None):
        return boto3.client(
            "secretsmanager", endpoint_url=self.url, region_name=region,
            aws_access_key_id=key or self.access_key_id, aws_secret_access_key=secret or self.secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )

    def aws(self, *args, region="us-east-1", check=True):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key_id, AWS_SECRET_ACCESS_KEY=self.secret_access_key,
                   AWS_DEFAULT_REGION=region, AWS_PAGER="")
        env.pop("AWS_PROFILE", None)
        result = subprocess.run(["aws", "secretsmanager", *args, "--endpoint-url", self.url], capture_output=True,
                                text=True, env=env, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
        return result

    def aws_json(self, *args, **kwargs):
        return json.loads(self.aws(*args, **kwargs).stdout)

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def close(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)




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


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def lockstep(server, *args, account=ACCOUNT, check=True):
    result = subprocess.run([LOCKSTEP, *args, "--data-dir", os.path.join(server.directory, "data"), "--account-id", account],
                            capture_output=True, text=True, timeout=60)
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
        return subprocess.run(["aws", "secretsmanager", *args, "--endpoint-url", self.server.url], capture_output=True,
                              text=True, env=env, timeout=120)


def denied(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    assert code(e) == "AccessDeniedException", e.value.response
    return e.value.response["Error"]["Message"]
