"""The HTTP half of scripts/bench-footprint.sh: grows a running `lockstep serve` to each size over HTTP and measures
its memory there, and the latency of durable writes over HTTP.

    python3 footprint.py URL ACCESS_KEY SECRET_KEY SERVER_PID [--sizes 10000,50000,100000] [--connections 8]
        [--latency-writes 1000]

For each size: CreateSecret (a 200-byte value, one tag) over --connections keep-alive connections until the store
holds that many secrets, then a full ListSecrets (pages of 100), then GetSecretValue of one secret in ten, then the
server's VmRSS and VmHWM from /proc/PID/status. After the first size, CreateSecret and PutSecretValue one at a time on
one connection (latency: each answers only once the change and its audit record are durable). Every request is signed
with botocore's SigV4 signer. Prints one JSON object per line (the shell script makes the table).
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

VALUE = "x" * 200  # the size of a typical JSON credential document, as in lockstep-benchmarks


class Client:
    """One keep-alive connection that signs each request."""

    def __init__(self, url, credentials):
        self.url = url
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.signer = SigV4Auth(credentials, "secretsmanager", "us-east-1")

    def call(self, operation, payload):
        body = json.dumps(payload)
        request = AWSRequest(method="POST", url=self.url + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{operation}"})
        self.signer.add_auth(request)
        started = time.perf_counter()
        self.connection.request("POST", "/", body=body.encode(), headers=dict(request.headers.items()))
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status} {data[:200]!r}")
        return json.loads(data), elapsed


def name(index):
    return f"footprint/app-{index:06d}/db"


def create(client, index):
    return client.call("CreateSecret", {
        "Name": name(index), "ClientRequestToken": str(uuid.uuid4()), "SecretString": VALUE,
        "Tags": [{"Key": "env", "Value": "prod" if index % 2 == 0 else "dev"}]})


def parallel(url, credentials, connections, indices, work):
    """Runs work(client, index) for every index over `connections` threads; returns (latencies, seconds)."""
    indices = list(indices)
    latencies = []
    lock = threading.Lock()
    position = [0]
    failures = []

    def worker():
        client = Client(url, credentials)
        mine = []
        try:
            while True:
                with lock:
                    if position[0] >= len(indices):
                        break
                    index = indices[position[0]]
                    position[0] += 1
                mine.append(work(client, index)[1])
        except Exception as error:  # reported after the others finish
            failures.append(error)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return latencies, time.perf_counter() - started


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0])  # kB
    return fields


def emit(**fields):
    print(json.dumps(fields), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("secret")
    parser.add_argument("pid", type=int)
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--latency-writes", type=int, default=1000)
    options = parser.parse_args()
    credentials = Credentials(options.key, options.secret)
    url = options.url
    emit(phase="empty", **memory(options.pid))
    created = 0
    for size in (int(s) for s in options.sizes.split(",")):
        latencies, seconds = parallel(url, credentials, options.connections, range(created, size), create)
        emit(phase="create", size=size, connections=options.connections, count=len(latencies), seconds=seconds,
             p50_ms=percentile(latencies, 0.5) * 1e3, p99_ms=percentile(latencies, 0.99) * 1e3)
        created = size
        client = Client(url, credentials)
        started = time.perf_counter()
        listed, token = 0, None
        while True:
            request = {"MaxResults": 100}
            if token:
                request["NextToken"] = token
            page, _ = client.call("ListSecrets", request)
            listed += len(page["SecretList"])
            token = page.get("NextToken")
            if not token:
                break
        list_seconds = time.perf_counter() - started
        reads, read_seconds = parallel(url, credentials, options.connections, range(0, size, 10),
                                       lambda c, i: c.call("GetSecretValue", {"SecretId": name(i)}))
        time.sleep(1.0)  # the audit writer's last batch of reads
        emit(phase="size", size=size, listed=listed, list_seconds=list_seconds, reads=len(reads),
             read_seconds=read_seconds, **memory(options.pid))
        if options.latency_writes and size == int(options.sizes.split(",")[0]):
            # Write latency at this size, one request at a time: CreateSecret of new secrets, PutSecretValue on
            # existing ones. Each answers once the change and its audit record are committed.
            client = Client(url, credentials)
            count = options.latency_writes
            creates = [create(client, size + i)[1] for i in range(count)]
            created = size + count  # counted towards the next size
            puts = [client.call("PutSecretValue", {"SecretId": name(i), "ClientRequestToken": str(uuid.uuid4()),
                                                   "SecretString": VALUE})[1] for i in range(0, size, max(1, size // count))]
            for operation, samples in (("CreateSecret", creates), ("PutSecretValue", puts)):
                emit(phase="latency", operation=operation, size=size, count=len(samples),
                     ops=len(samples) / sum(samples), p50_ms=percentile(samples, 0.5) * 1e3,
                     p99_ms=percentile(samples, 0.99) * 1e3)


if __name__ == "__main__":
    main()
