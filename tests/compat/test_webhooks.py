"""Events to webhooks (`serve --events-config`): the change outbox delivered as EventBridge events for Secrets Manager,
signed with HMAC-SHA256, in order, at least once, across restarts; a failing endpoint shows in `lockstep events status`
and /metrics. Against real `lockstep serve` processes (two nodes on one PostgreSQL store when LOCKSTEP_TEST_STORE=postgres:
only one of them sends to an endpoint at a time)."""
import hashlib
import hmac
import json
import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from lockstep_server import ACCOUNT, Server, lockstep, unique, wait_for
from test_process_rotators import FIXTURES, LAMBDA_ARN, wait_for_rotation

SECRET = b"compat-webhook-secret-0123456789"


def verify(secret, headers, body, tolerance=300):
    """The README's receiver check: HMAC-SHA256 of "<timestamp>.<body>", a timestamp within 5 minutes."""
    timestamp = headers["Lockstep-Timestamp"]
    expected = "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["Lockstep-Signature"]) and abs(time.time() - int(timestamp)) <= tolerance


class Receiver:
    """A threaded HTTP receiver: answers 204 (or `status` while set), optionally after `delay` seconds; keeps every
    request it accepted and the most requests it ever had in flight at once."""

    def __init__(self):
        self.received, self.refused = [], 0
        self.status, self.delay = None, 0
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)

                    delay, status = outer.delay, outer.status
                time.sleep(delay)
                with outer.lock:
                    outer.in_flight -= 1
                    if status is None:
                        outer.received.append((self.headers, body))
                    else:
                        outer.refused += 1
                self.send_response(status or 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hooks/lockstep?tag=compat"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self, arns=None):
        """The accepted events, each checked (signature, id header), deduplicated by id, in order of first arrival."""
        with self.lock:
            received = list(self.received)
        seen, events = set(), []
        for headers, body in received:
            assert verify(SECRET, headers, body), headers
            event = json.loads(body)
            assert headers["Lockstep-Event-Id"] == event["id"] and headers["Content-Type"] == "application/json"
            if event["id"] in seen:
                continue
            seen.add(event["id"])
            if arns is None or event["resources"][0] in arns:
                events.append(event)
        return events

    def bodies(self):
        with self.lock:
            return b"\n".join(body for _, body in self.received)

    def close(self):
        self.httpd.shutdown()


def events_config(tmp_path, receiver, **delivery):
    secret = tmp_path / "ops.secret"
    secret.write_bytes(SECRET + b"\n")
    os.chmod(secret, 0o600)
    lines = ["[delivery]", *(f"{key} = {value}" for key, value in delivery.items())] if delivery else []
    lines += ["[[webhook]]", 'name = "ops"', f'url = "{receiver.url}"', f'secret_file = "{secret}"']
    path = tmp_path / "events.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def events_status(server):
    result = lockstep(server, "events", "status", check=False)
    assert result.returncode in (0, 3), result.stderr
    return next(w for w in json.loads(result.stdout)["Webhooks"] if w["Webhook"] == "ops")


def metric(server, name, **labels):
    """The sum of a series over every node's /metrics."""
    total = 0.0
    for url in server.urls:
        for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_a_rotation_reaches_the_webhook_as_documented_signed_and_without_a_value(tmp_path):
    receiver = Receiver()
    server = Server("--rotators-dir", FIXTURES, "--retry-base-delay", "0.2", "--max-attempts", "1",
                    "--events-config", events_config(tmp_path, receiver))
    try:
        sm = server.client()
        name = unique("hook-rotated-")
        arn = sm.create_secret(Name=name, SecretString=json.dumps({"username": "svc", "password": "initial-SENTINEL",
                                                                  "trace": str(tmp_path / "trace")}))["ARN"]
        started = sm.rotate_secret(SecretId=arn, RotationLambdaARN=LAMBDA_ARN + "python-boto3")
        assert wait_for_rotation(server, arn)["Status"] == "succeeded"
        rotated = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"]
        expected = ["CreateSecret", "RotateSecret", "RotationStarted", "PutSecretValue", "UpdateSecretVersionStage",
                    "RotationSucceeded"]
        events = wait_for(lambda: len(e := receiver.events({arn})) >= len(expected) and e, timeout=30,
                          what="the rotation's events at the webhook")
        print("\nwebhook events: " + ", ".join(f'{e["detail"]["eventName"]} ({e["detail-type"]})' for e in events))
        assert [e["detail"]["eventName"] for e in events] == expected
        api_calls = {"CreateSecret", "RotateSecret", "PutSecretValue", "UpdateSecretVersionStage"}
        sequences = []
        for event in events:
            detail = event["detail"]
            api = detail["eventName"] in api_calls
            assert event["version"] == "0" and event["source"] == "aws.secretsmanager"
            assert event["detail-type"] == ("AWS API Call via CloudTrail" if api else "AWS Service Event via CloudTrail")
            assert event["account"] == ACCOUNT and event["region"] == "us-east-1" and event["resources"] == [arn]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"]) and detail["eventTime"] == event["time"]
            assert detail["eventVersion"] == "1.08" and detail["eventSource"] == "secretsmanager.amazonaws.com"
            assert detail["awsRegion"] == "us-east-1" and detail["eventID"] == event["id"]
            assert detail["eventType"] == ("AwsApiCall" if api else "AwsServiceEvent")
            assert detail["resources"] == [{"ARN": arn, "accountId": ACCOUNT, "type": "AWS::SecretsManager::Secret"}]
            if api:
                assert detail["userIdentity"]["accountId"] == ACCOUNT and detail["userIdentity"]["type"]
                assert set(detail["requestParameters"]) <= {"secretId", "versionId"}
                assert detail["requestParameters"]["secretId"] == arn
            else:
                assert detail["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
                assert detail["requestParameters"] is None
                assert detail["additionalEventData"]["SecretId"] == arn
                assert detail["additionalEventData"]["VersionId"] == started["VersionId"]
            sequences.append(int(detail["additionalEventData"]["LockstepSequence"]))
        assert sequences == sorted(sequences)
        admin = f"arn:aws:iam::{ACCOUNT}:user/admin"
        assert events[0]["detail"]["userIdentity"]["arn"] == admin and events[1]["detail"]["userIdentity"]["arn"] == admin
        assert events[1]["detail"]["requestParameters"]["versionId"] == started["VersionId"]
        assert events[3]["detail"]["requestParameters"]["versionId"] == started["VersionId"]
        # Never a value: neither the first one nor the rotated password is in anything delivered.
        bodies = receiver.bodies()
        assert b"SENTINEL" not in bodies and rotated.encode() not in bodies
        assert receiver.max_in_flight == 1
    finally:
        server.close()
        receiver.close()


def test_a_failing_endpoint_shows_and_delivery_survives_restarts_without_losing_an_event(tmp_path):
    receiver = Receiver()
    receiver.status = 500
    server = Server("--events-config", events_config(tmp_path, receiver, initial_backoff_ms=50, max_backoff_ms=300))
    try:
        sm = server.client()
        arns = [sm.create_secret(Name=unique("hook-restart-"), SecretString="value-SENTINEL")["ARN"] for _ in range(4)]
        # Refused: the endpoint shows as failing in `lockstep events status` and /metrics, its changes waiting.
        status = wait_for(lambda: (s := events_status(server))["Attempts"] >= 2 and s, what="failed attempts in the status")
        assert status["State"] == "failing" and status["LastStatus"] == 500 and status["LastError"] == "HTTP 500"
        assert status["LagChanges"] >= 4 and status["LagSeconds"] >= 0
        assert lockstep(server, "events", "status", check=False).returncode == 3
        wait_for(lambda: metric(server, "lockstep_webhook_attempts_total", webhook="ops", result="failed") >= 2,
                 what="failed attempts in /metrics")
        # (The gauges are set at each attempt: wait for one made after the last change.)
        wait_for(lambda: metric(server, "lockstep_webhook_lag_changes", webhook="ops") >= 4, what="the lag in /metrics")
        assert metric(server, "lockstep_webhook_consecutive_failures", webhook="ops") >= 1
        assert receiver.events() == []

        # Killed while refused; the receiver recovers; everything made before the restart arrives after it.
        server.stop(signal.SIGKILL)
        receiver.status = None
        server.start()
        arns.append(server.client().create_secret(Name=unique("hook-restart-"), SecretString="value-SENTINEL")["ARN"])
        wait_for(lambda: {e["resources"][0] for e in receiver.events(set(arns))} == set(arns), timeout=60,
                 what="every change made before and after the restart")

        # Killed in the middle of a stream of deliveries (a slow receiver): nothing lost, duplicates only by id.
        receiver.delay = 0.3
        more = [server.client().create_secret(Name=unique("hook-midway-"), SecretString="value-SENTINEL")["ARN"]
                for _ in range(5)]
        wait_for(lambda: receiver.events(set(more)), what="the first of the stream")
        server.stop(signal.SIGKILL)
        receiver.delay = 0
        server.start()
        arns += more
        events = wait_for(lambda: len(e := receiver.events(set(arns))) == len(arns) and e, timeout=60,
                          what="every change after the second restart")
        assert [e["resources"][0] for e in events] == arns  # in order, each once after deduplication
        assert all(e["detail"]["eventName"] == "CreateSecret" for e in events)
        sequences = [int(e["detail"]["additionalEventData"]["LockstepSequence"]) for e in events]
        assert sequences == sorted(sequences)
        status = wait_for(lambda: (s := events_status(server))["LagChanges"] == 0 and s, what="the endpoint caught up")
        assert status["State"] in ("delivering", "idle") and status["Attempts"] == 0 and status["LastStatus"] == 204
        assert status["Lost"] == 0 and status["Delivered"] >= len(arns)
        assert b"SENTINEL" not in receiver.bodies()

        # One sender at a time (with PostgreSQL, two nodes configured with the same endpoint): a slow receiver never
        # has two requests at once. (Counted from here, once the killed process's last request has been answered.)
        wait_for(lambda: receiver.in_flight == 0, what="the killed server's last request to end")
        with receiver.lock:
            receiver.max_in_flight = 0
        receiver.delay = 0.2
        last = [server.client().create_secret(Name=unique("hook-single-"), SecretString="value-SENTINEL")["ARN"]
                for _ in range(4)]
        wait_for(lambda: len(receiver.events(set(last))) == len(last), timeout=60, what="the last changes")
        assert receiver.max_in_flight == 1, "two senders delivered to the endpoint at once"
        # A graceful stop frees the lease at once (another node would take the endpoint over without waiting).
        assert server.stop() == 0
        assert "Owner" not in events_status(server)
        print(f"\nwebhook: {len(receiver.received)} deliveries accepted for {len(arns)} events, {receiver.refused} refused")
    finally:
        server.close()
        receiver.close()
