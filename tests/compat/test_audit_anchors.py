"""The audit log at scale, from outside: signed digests catch a wiped, truncated or rolled-back log; the JSON-lines
copy holds every record (the CLI's too) and verifies on its own; exported segments verify with the live log; the
secrets database doesn't grow under reads while retention bounds the audit store.

Each test runs its own `lockstep serve`, stops it (so a digest is written and the files are still), and tampers
with copies the way someone holding the files, not the root key, could."""
import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess

import pytest
from conftest import LOCKSTEP, Server
from lockstep_server import sqlite_only, wait_for

# Every test here reads or edits audit.db and the data directory's files.
pytestmark = sqlite_only


def run(*args, data):
    return subprocess.run([LOCKSTEP, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=120)


def verify(data, *args):
    return run("audit", "verify", *args, data=data)


def failed(result, expected):
    assert result.returncode == 1, result.stdout
    assert expected in result.stderr, result.stderr


def intact(result):
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("audit log intact:"), result.stdout
    return result.stdout


def records(data):
    with sqlite3.connect(os.path.join(data, "audit.db")) as db:
        return db.execute("SELECT count(*), coalesce(max(sequence), 0) FROM audit_events").fetchone()


def head(data):
    with sqlite3.connect(os.path.join(data, "audit.db")) as db:
        return db.execute("SELECT sequence, hash, seal FROM audit_head").fetchone()


def digests(data):
    directory = os.path.join(data, "audit-digests")
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def serve_some(server_args=(), secrets=5, prefix="anchor"):
    """A server that makes `secrets` secrets and reads each, then stops; returns (server, data directory)."""
    s = Server(*server_args)
    sm = s.client()
    for index in range(secrets):
        sm.create_secret(Name=f"{prefix}/{index}", SecretString=f"value-{index}")
        sm.get_secret_value(SecretId=f"{prefix}/{index}")
    assert s.stop() == 0, s.server_log()
    return s, os.path.join(s.directory, "data")


@pytest.fixture
def stopped():
    s, data = serve_some()
    yield s, data
    s.close()


@pytest.fixture
def served(stopped):
    return stopped[1]


def test_a_fresh_log_says_there_is_no_digest_yet(tmp_path):
    subprocess.run([LOCKSTEP, "init", "--data-dir", str(tmp_path / "data")], check=True, capture_output=True, timeout=60)
    out = intact(verify(tmp_path / "data"))
    assert "no digest yet" in out, out


def test_shutdown_writes_a_signed_digest_that_verify_checks(served):
    names = digests(served)
    assert len(names) == 1 and names[0].endswith("-00000001.json"), names
    digest = json.loads(open(os.path.join(served, "audit-digests", names[0])).read())
    count, last = records(served)
    assert digest["lastSequence"] == last and digest["firstSequence"] == 1 and digest["signatureAlgorithm"] == "Ed25519"
    assert digest["lastHash"] == head(served)[1].hex()
    out = intact(verify(served))
    assert f"anchored by 1 signed digests up to record {last}" in out, out
    # The public key `audit public-key` prints is the one in the digest, and checks its signature.
    node, key = run("audit", "public-key", "--node", digest["node"], data=served).stdout.split()
    assert node == digest["node"] and key == digest["publicKey"]


def test_a_forged_or_edited_digest_is_refused(served, tmp_path):
    for edit in ("lastSequence", "signature"):
        data = tmp_path / edit
        shutil.copytree(served, data)
        path = data / "audit-digests" / digests(data)[0]
        digest = json.loads(path.read_text())
        signature = digest["signature"]
        digest[edit] = 1 if edit == "lastSequence" else ("A" if signature[0] != "A" else "B") + signature[1:]
        path.write_text(json.dumps(digest))
        failed(verify(data), "is not signed by this data directory's key")


def test_a_wiped_log_is_detected_and_the_server_refuses_it(served):
    _, last = records(served)
    with sqlite3.connect(os.path.join(served, "audit.db")) as db:
        db.executescript("DELETE FROM audit_events; DELETE FROM audit_head;")
    failed(verify(served), f"the log is empty but digest 1 covers up to record {last}: it was wiped")
    # A server started on it would begin a fresh chain that verifies on its own: it refuses instead.
    refused = subprocess.run([LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", served],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert f"the audit log doesn't match its signed digests: the log is empty but digest 1 covers up to record {last}" in refused.stderr, refused.stderr


def test_a_truncated_log_with_its_old_head_restored_is_detected(tmp_path):
    """Truncate to an earlier point and restore the head saved then: the chain alone verifies, the digest doesn't."""
    s = Server()
    data = os.path.join(s.directory, "data")
    try:
        sm = s.client()
        for index in range(4):
            sm.create_secret(Name=f"rollback/{index}", SecretString="v")
        wait_for(lambda: records(data)[1] >= 4, what="the first records")
        saved = head(data)
        for index in range(4, 12):
            sm.create_secret(Name=f"rollback/{index}", SecretString="v")
        assert s.stop() == 0
        _, last = records(data)
        with sqlite3.connect(os.path.join(data, "audit.db")) as db:
            db.execute("DELETE FROM audit_events WHERE sequence > ?", (saved[0],))
            db.execute("UPDATE audit_head SET sequence = ?, hash = ?, seal = ?", saved)
        # Without the digests the chain looks whole: that is what they are for.
        intact(verify(data, "--digests", str(tmp_path / "none")))
        failed(verify(data), f"the log ends at record {saved[0]} but digest 1 covers up to {last}: it was truncated or rolled back")
    finally:
        s.close()


def event_names(data):
    with sqlite3.connect(os.path.join(data, "audit.db")) as db:
        return [row[0] for row in db.execute("SELECT event_name FROM audit_events ORDER BY sequence")]


def test_an_acknowledged_change_is_on_record_when_the_server_is_killed_right_after():
    """A changing call answers only once its record is committed; reads' records wait out their batch window (5 s
    here), so only that guarantee can put the change on record before the SIGKILL."""
    s = Server("--audit-batch-ms", "5000")
    data = os.path.join(s.directory, "data")
    try:
        sm = s.client()
        sm.create_secret(Name="killed/a", SecretString="v1")
        sm.get_secret_value(SecretId="killed/a")
        version = sm.put_secret_value(SecretId="killed/a", SecretString="v2")["VersionId"]
        s.stop(signal.SIGKILL)
        names = event_names(data)
        assert names.count("CreateSecret") == 1 and names.count("PutSecretValue") == 1, names
        # The read queued before the put went into the put's commit, ahead of it.
        assert names.index("GetSecretValue") < names.index("PutSecretValue"), names
        with sqlite3.connect(os.path.join(data, "audit.db")) as db:
            record = json.loads(db.execute("SELECT record FROM audit_events WHERE event_name = 'PutSecretValue'").fetchone()[0])
        assert record["responseElements"]["VersionId"] == version, record
        intact(verify(data))
    finally:
        s.close()


def test_a_rewritten_filter_column_is_named_by_verify(served):
    with sqlite3.connect(os.path.join(served, "audit.db")) as db:
        db.execute("UPDATE audit_events SET principal = 'arn:aws:iam::123456789012:user/nobody' WHERE sequence = 3")
    failed(verify(served), "record 3's principal column was rewritten")


def test_the_json_lines_copy_holds_every_record_and_verifies_alone(tmp_path):
    copy = tmp_path / "audit.jsonl"
    s = Server("--audit-file", str(copy))
    data = os.path.join(s.directory, "data")
    try:
        sm = s.client()
        sm.create_secret(Name="copy/a", SecretString="copy-value")
        # A record the CLI writes (another process) reaches the copy too.
        subprocess.run([LOCKSTEP, "iam", "create-user", "--user-name", "copied", "--data-dir", data, "--account-id", "123456789012"],
                       check=True, capture_output=True, timeout=60)

        def lines():
            return [json.loads(line) for line in copy.read_text().splitlines()] if copy.exists() else []

        created = wait_for(lambda: [l for l in lines() if l["record"]["eventName"] == "CreateUser"], what="CreateUser in the copy")
        assert created[0]["record"]["userIdentity"]
        for index in range(6):
            sm.get_secret_value(SecretId="copy/a")
        assert s.stop() == 0
    finally:
        s.log.close()
    all_lines = lines()
    assert [l["sequence"] for l in all_lines] == list(range(1, records(data)[1] + 1))
    assert "copy-value" not in copy.read_text()
    intact(verify(data, "--file", str(copy)))
    # Delete line 3: verify names the line and the record.
    text = copy.read_text().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(text[:2] + text[3:]))
    failed(verify(data, "--file", str(damaged)), "damaged.jsonl line 3: record 3 is missing (removed or reordered): the next record found is 4")
    # An edited line, and a copy cut short of what the digest covers.
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(text[:4] + [text[4].replace("us-east-1", "eu-west-1")] + text[5:]))
    failed(verify(data, "--file", str(edited)), "edited.jsonl line 5: record 5 was changed")
    short = tmp_path / "short.jsonl"
    short.write_text("".join(text[:-2]))
    failed(verify(data, "--file", str(short)), f"the log ends at record {len(text) - 2} but digest 1 covers up to {len(text)}")
    shutil.rmtree(s.directory, ignore_errors=True)


def test_exported_segments_verify_with_the_live_log(stopped, tmp_path):
    server, served = stopped
    count, last = records(served)
    exported = run("audit", "export", "--before", "2999-01-01", data=served)
    assert exported.returncode == 0 and f"exported {count} records" in exported.stdout, exported.stderr
    assert records(served)[0] == 0
    segments = sorted(os.listdir(os.path.join(served, "audit-segments")))
    assert len(segments) == 2 and segments[0].endswith(".jsonl.gz") and segments[1].endswith(".seal.json"), segments
    with gzip.open(os.path.join(served, "audit-segments", segments[0]), "rt") as f:
        assert [json.loads(line)["sequence"] for line in f] == list(range(1, last + 1))
    out = intact(verify(served))
    assert f"{last} records ({last} in 1 exported segments" in out, out
    # The live log goes on after its exported base; both verify together.
    server.start()
    server.client().list_secrets()
    assert server.stop() == 0
    assert records(served)[0] > 0
    intact(verify(served))
    # Without the segments (moved away), the live log's exported start shows; so does a changed segment.
    moved = tmp_path / "elsewhere"
    failed(verify(served, "--segments", str(moved)), f"records 1–{last} were exported, but no segment given holds them")
    shutil.copytree(os.path.join(served, "audit-segments"), moved)
    with open(moved / segments[0], "ab") as f:
        f.write(b"\x00")
    failed(verify(served, "--segments", str(moved)), "its SHA-256 doesn't match its seal")


def test_reads_grow_the_audit_store_not_the_secrets_database_and_retention_bounds_it():
    s = Server("--audit-retention", "2s")
    data = os.path.join(s.directory, "data")
    try:
        sm = s.client()
        sm.create_secret(Name="load/a", SecretString="load-value")

        def secrets_size():
            return sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.startswith("lockstep.db"))

        def live_records():
            return records(data)[0]

        sm.get_secret_value(SecretId="load/a")
        wait_for(lambda: records(data)[1] >= 2, what="the first reads recorded")
        before = secrets_size()
        for round_ in range(3):
            for _ in range(500):
                sm.get_secret_value(SecretId="load/a")
            wait_for(lambda: records(data)[1] >= 2 + 500 * (round_ + 1), what="the reads recorded")
            # Retention moves what is older than 2 s out of the live log: once the reads stop, it empties.
            wait_for(lambda: live_records() == 0, timeout=60, what="retention to export every record")
        assert secrets_size() == before, "reads grew the secrets database"
        assert any(f.endswith(".jsonl.gz") for f in os.listdir(os.path.join(data, "audit-segments")))
        assert s.stop() == 0
        out = intact(verify(data))
        assert "exported segments" in out, out
    finally:
        s.close()
