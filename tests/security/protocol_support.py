"""A real `lockstep serve` for the protocol security tests, and raw requests signed by hand.

Independent of tests/security/conftest.py: test_protocol.py imports this module directly. The server runs with
access control on and SigV4 against the stored keys (the default: not `--dev`, not
`--benchmark-without-access-control`), on a free loopback port, with the administrator key read from its stdout.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCKSTEP = os.environ.get("LOCKSTEP_BIN", os.path.join(ROOT, ".build", "debug", "lockstep"))
ACCOUNT = "123456789012"
JSON = "application/x-amz-json-1.1"


class Server:
    """`lockstep serve` on 127.0.0.1:0 with its own data directory; `nofile` lowers its open-file limit."""

    def __init__(self, *extra_args, nofile=None):
        self.directory = tempfile.mkdtemp(prefix="lockstep-security-")
        self.log_path = os.path.join(self.directory, "server.log")
        self.log = open(self.log_path, "w+")
        env = dict(os.environ)
        env.pop("LOCKSTEP_ROOT_KEY", None)

        def limit_files():
            if nofile is not None:
                _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

        self.process = subprocess.Popen(
            [LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.directory, "data"),
             "--account-id", ACCOUNT, *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, preexec_fn=limit_files,
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
        # Keep reading stdout so the server can never block on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.host = f"127.0.0.1:{self.port}"

    def server_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def client(self, region="us-east-1", read_timeout=60):
        return boto3.client(
            "secretsmanager", endpoint_url=self.url, region_name=region,
            aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key,
            config=Config(retries={"max_attempts": 1}, connect_timeout=30, read_timeout=read_timeout),
        )

    def is_running(self):
        return self.process.poll() is None

    def close(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    # Raw requests

    def signed_headers(self, target, body, *, region="us-east-1", service="secretsmanager", sign=None, extra=(),
                       token=None, amz_date=None):
        """Headers of a request signed by hand (SigV4), as a list of (name, value).

        `sign` lists the header names to sign (lower case; default: every header sent). `extra` headers are sent
        too, signed only when `sign` names them.
        """
        amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        headers = [("host", self.host), ("content-type", JSON), ("x-amz-date", amz_date)]
        if target is not None:
            headers.append(("x-amz-target", target))
        if token is not None:
            headers.append(("x-amz-security-token", token))
        headers += list(extra)
        names = sorted(set(sign if sign is not None else [n.lower() for n, _ in headers]))
        return headers + [("authorization", sigv4(self.access_key_id, self.secret_access_key, headers, names, body,
                                                  amz_date, region, service))]

    def send(self, headers, body=b"", method="POST", path="/"):
        """Sends exactly these headers (repeats allowed); returns (status, parsed JSON body or raw bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            if body or method == "POST":
                connection.putheader("content-length", str(len(body)))
            connection.endheaders(body if isinstance(body, bytes) else body.encode())
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data

    def call(self, operation, payload, **kwargs):
        body = json.dumps(payload).encode() if not isinstance(payload, (bytes, str)) else payload
        body = body.encode() if isinstance(body, str) else body
        return self.send(self.signed_headers(f"secretsmanager.{operation}", body, **kwargs), body)

    def metrics(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
        connection.close()
        return text

    def silent_connection(self, partial=b""):
        """A connection that sends `partial` (maybe part of a header) and then nothing."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        if partial:
            sock.sendall(partial)
        return sock


def sigv4(key, secret, headers, signed, body, amz_date, region, service):
    """AWS4-HMAC-SHA256 by hand, signing exactly the `signed` header names (their values joined as AWS does)."""
    body = body if isinstance(body, bytes) else body.encode()
    lines = []
    for name in signed:
        values = [" ".join(v.split()) for n, v in headers if n.lower() == name]
        lines.append(f"{name}:{','.join(values)}\n")
    canonical = "\n".join(["POST", "/", "", "".join(lines), ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"
