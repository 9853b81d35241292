"""Fixtures that start a real `lockstep serve` on a free loopback port and drive it with boto3 and the aws CLI."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCKSTEP = os.environ.get("LOCKSTEP_BIN", os.path.join(ROOT, ".build", "debug", "lockstep"))
ACCOUNT = "123456789012"


class Server:
    def __init__(self, *extra_args):
        self.directory = tempfile.mkdtemp(prefix="lockstep-compat-")
        self.log = open(os.path.join(self.directory, "server.log"), "w+")
        env = dict(os.environ)
        env.pop("LOCKSTEP_ROOT_KEY", None)
        self.process = subprocess.Popen(
            [LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.directory, "data"),
             "--account-id", ACCOUNT, *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env,
        )
        self.access_key_id = self.secret_access_key = None
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

    def server_log(self):
        self.log.flush()
        with open(self.log.name) as f:
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

    def raw(self, operation, body, region="us-east-1"):
        """POSTs a JSON 1.1 request signed with botocore's SigV4Auth, nothing filled in (no idempotency token)."""
        import requests
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"}
        request = AWSRequest(method="POST", url=self.url + "/", data=json.dumps(body).encode(), headers=headers)
        SigV4Auth(Credentials(self.access_key_id, self.secret_access_key), "secretsmanager", region).add_auth(request)
        prepared = request.prepare()
        return requests.post(prepared.url, data=prepared.body, headers=dict(prepared.headers), timeout=30)

    def aws_error(self, *args, **kwargs):
        """Runs an aws CLI command that must fail; returns (exception name, message) from its stderr."""
        result = self.aws(*args, check=False, **kwargs)
        assert result.returncode != 0, f"aws {' '.join(args)} succeeded: {result.stdout}"
        m = re.search(r"An error occurred \((\w+)\) when calling the \w+ operation: (.*)", result.stderr)
        assert m, result.stderr
        return m.group(1), m.group(2).strip()

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
    s = Server()
    yield s
    s.close()


@pytest.fixture
def sm(server):
    return server.client()


@pytest.fixture
def name(request):
    """A fresh secret name per test."""
    return f"compat/{request.node.name}/{time.time_ns()}"
