"""Several `lockstep serve` nodes on one PostgreSQL store, as real processes (the suite's PostgreSQL pass,
LOCKSTEP_TEST_STORE=postgres): a write on one node is read on another at once, an IAM change made with the CLI reaches
every node's credential cache within a second, and rotations that all nodes compete for each run exactly once."""
import base64
import concurrent.futures
import json
import os
import re
import secrets
import subprocess
import threading
import time

import pytest
from relay import Relay

from lockstep_server import STORE, Server, User, allow, deny, lockstep, policy, postgres_admin, postgres_uri, wait_for

pytestmark = pytest.mark.skipif(STORE != "postgres", reason="needs nodes on one PostgreSQL store (LOCKSTEP_TEST_STORE=postgres)")

PG = {k: os.environ.get(f"LOCKSTEP_TEST_POSTGRES_{k}") for k in ("HOST", "PORT", "USER", "PASSWORD", "LOG")}
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:postgres-single-user"


def psql(sql):
    env = dict(os.environ, PGPASSWORD=PG["PASSWORD"], PGCONNECT_TIMEOUT="5")
    return subprocess.run(["psql", "-h", PG["HOST"], "-p", PG["PORT"], "-U", PG["USER"], "-d", "postgres", "-tAqc", sql],
                          capture_output=True, text=True, env=env, check=True).stdout


@pytest.fixture(scope="module")
def cluster():
    s = Server(nodes=3)
    yield s
    s.close()


def test_a_write_on_one_node_is_read_on_the_others_at_once(cluster):
    clients = [cluster.client(node=n) for n in range(3)]
    arn = clients[0].create_secret(Name="ha/shared", SecretString="v0")["ARN"]
    for index in range(1, 31):
        writer, reader = clients[index % 3], clients[(index + 1) % 3]
        version = writer.put_secret_value(SecretId=arn, SecretString=f"v{index}")["VersionId"]
        read = reader.get_secret_value(SecretId="ha/shared")
        assert (read["SecretString"], read["VersionId"]) == (f"v{index}", version)
    # Every node lists the same secret with the same labels.
    stages = {json.dumps(c.describe_secret(SecretId=arn)["VersionIdsToStages"], sort_keys=True) for c in clients}
    assert len(stages) == 1


def test_every_audit_record_names_its_node_and_the_one_chain_verifies_from_the_cli(cluster):
    tag = secrets.token_hex(4)
    for n in range(3):
        cluster.client(node=n).create_secret(Name=f"ha/audited-{tag}-{n}", SecretString="audited")
    listed = lockstep(cluster, "audit", "list", "--event-name", "CreateSecret", "--max-items", "100000").stdout
    nodes = {}
    for line in listed.splitlines():
        record = json.loads(line)
        name = (record.get("requestParameters") or {}).get("Name", "")
        if name.startswith(f"ha/audited-{tag}-"):
            nodes[name] = record["additionalEventData"]["LockstepNode"]
    assert nodes == {f"ha/audited-{tag}-{n}": f"node-{'abc'[n]}" for n in range(3)}
    # `audit list --node` reads the same field of the hashed record.
    on_b = lockstep(cluster, "audit", "list", "--event-name", "CreateSecret", "--node", "node-b", "--max-items", "100000").stdout
    names = [(json.loads(line).get("requestParameters") or {}).get("Name", "") for line in on_b.splitlines()]
    assert f"ha/audited-{tag}-1" in names and not {f"ha/audited-{tag}-0", f"ha/audited-{tag}-2"} & set(names)
    assert all(json.loads(line)["additionalEventData"]["LockstepNode"] == "node-b" for line in on_b.splitlines())
    assert "audit log intact" in lockstep(cluster, "audit", "verify").stdout


def test_an_iam_deny_made_with_the_cli_refuses_on_every_node_within_a_second(cluster):
    user = User(cluster, "ha-reader", policies=[policy(allow())])
    admin = cluster.client(node=0)
    admin.create_secret(Name="ha/guarded", SecretString="guarded")
    readers = [cluster.client(key=user.key, secret=user.secret, node=n) for n in range(3)]
    for reader in readers:  # each node has looked the key up and cached it
        assert reader.get_secret_value(SecretId="ha/guarded")["SecretString"] == "guarded"
    changed = time.monotonic()
    lockstep(cluster, "iam", "put-user-policy", "--user-name", "ha-reader", "--policy-name", "deny-all",
             "--policy-document", policy(deny()))
    delays = []
    for reader in readers:
        def refused():
            try:
                reader.get_secret_value(SecretId="ha/guarded")
                return None
            except reader.exceptions.ClientError as error:
                return code_of(error)
        assert wait_for(refused, timeout=5, what="the deny on every node", interval=0.02) == "AccessDeniedException"
        delays.append(time.monotonic() - changed)
    print(f"\nIAM deny through the CLI refused on the 3 nodes after {', '.join(f'{d * 1000:.0f} ms' for d in delays)}")
    assert max(delays) < 1.0, delays


def code_of(error):
    return error.response["Error"]["Code"]


def test_200_rotations_started_on_3_nodes_at_once_each_run_exactly_once(cluster):
    count = 200
    roles = [f"ha_{secrets.token_hex(4)}_{n}" for n in range(count)]
    passwords = [secrets.token_hex(12) for _ in roles]
    psql("; ".join(f"CREATE ROLE {r} LOGIN PASSWORD '{p}'" for r, p in zip(roles, passwords)))
    try:
        clients = [cluster.client(node=n) for n in range(3)]
        arns = []
        for n, (role, password) in enumerate(zip(roles, passwords)):
            value = {"engine": "postgres", "host": PG["HOST"], "port": int(PG["PORT"]), "username": role,
                     "password": password, "dbname": "postgres"}
            arns.append(clients[n % 3].create_secret(Name=f"ha/rotated/{n}", SecretString=json.dumps(value))["ARN"])
        log_start = os.path.getsize(PG["LOG"])
        # Every node is asked to rotate a third of them, all at once; all three schedulers compete for every claim.
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            tokens = list(pool.map(
                lambda item: clients[item[0] % 3].rotate_secret(SecretId=item[1], RotationLambdaARN=FUNCTION,
                                                                RotationRules={"AutomaticallyAfterDays": 30})["VersionId"],
                enumerate(arns)))

        def finished():
            status = json.loads(lockstep(cluster, "rotation", "status").stdout)["Rotations"]
            done = [r for r in status if r.get("Status") in ("succeeded", "failed")]
            return status if len(done) == count else None
        status = wait_for(finished, timeout=240, what="the 200 rotations", interval=1)
        assert {r["Status"] for r in status} == {"succeeded"}, [r for r in status if r["Status"] != "succeeded"][:3]
        for arn, token, client in zip(arns, tokens, clients * count):
            assert client.describe_secret(SecretId=arn)["VersionIdsToStages"][token] == ["AWSCURRENT"]
        # Exactly once: one password change per role in the database's own statement log, one start and one success
        # per secret in the audit log.
        with open(PG["LOG"], errors="replace") as f:
            f.seek(log_start)
            log = f.read()
        changes = {role: len(re.findall(rf'ALTER ROLE "?{role}"? ', log)) for role in roles}
        assert set(changes.values()) == {1}, {r: c for r, c in changes.items() if c != 1}
        for event in ("RotationStarted", "RotationSucceeded"):
            records = [json.loads(line) for line in
                       lockstep(cluster, "audit", "list", "--event-name", event, "--max-items", "100000").stdout.splitlines()]
            per_secret = {}
            for record in records:
                for resource in record.get("resources", []):
                    per_secret[resource["ARN"]] = per_secret.get(resource["ARN"], 0) + 1
            assert all(per_secret.get(arn) == 1 for arn in arns), event
    finally:
        psql("; ".join(f"DROP ROLE IF EXISTS {r}" for r in roles))


def test_store_copy_moves_a_sqlite_deployment_with_every_version_key_and_audit_record():
    source = Server(store="sqlite")
    target = None
    try:
        sm = source.client()
        arn = sm.create_secret(Name="moved/app", SecretString="first", Description="d",
                               Tags=[{"Key": "team", "Value": "a"}])["ARN"]
        second = sm.put_secret_value(SecretId=arn, SecretString="second", VersionStages=["AWSCURRENT", "BLUE"])["VersionId"]
        sm.create_secret(Name="moved/binary", SecretBinary=b"\x00\x01binary")
        sm.put_resource_policy(SecretId=arn, ResourcePolicy=policy(allow("secretsmanager:GetSecretValue", "*",
                                                                          Principal={"AWS": "arn:aws:iam::123456789012:root"})))
        user = User(source, "moved-user", policies=[policy(allow("secretsmanager:GetSecretValue"))])
        before = {"describe": sm.describe_secret(SecretId=arn), "versions": sm.list_secret_version_ids(SecretId=arn)["Versions"]}
        assert source.stop() == 0
        data = os.path.join(source.directory, "data")
        database = "lockstep_copy_" + secrets.token_hex(6)
        postgres_admin(f"CREATE DATABASE {database}")
        uri = postgres_uri(database)
        copied = subprocess.run([os.environ.get("LOCKSTEP_BIN", "lockstep"), "store", "copy", "--from", data, "--to", uri],
                                capture_output=True, text=True, timeout=120)
        assert copied.returncode == 0, copied.stderr
        assert "audit log intact" in copied.stdout and "versions: 3 rows" in copied.stdout, copied.stdout
        assert "first" not in copied.stdout + copied.stderr
        # A second copy into the same database is refused and changes nothing.
        again = subprocess.run([os.environ.get("LOCKSTEP_BIN", "lockstep"), "store", "copy", "--from", data, "--to", uri],
                               capture_output=True, text=True, timeout=120)
        assert again.returncode != 0 and "already holds Lockstep data" in again.stderr, again.stderr

        # Two nodes on the copy, with the deployment's root key: everything reads back, old keys work, writes go on.
        with open(os.path.join(data, "root.key")) as f:
            target = Server(database=database, root_key=f.read().strip(), nodes=2)
        assert target.access_key_id is None  # the store has keys: no new administrator
        target.access_key_id, target.secret_access_key = source.access_key_id, source.secret_access_key
        for node in range(2):
            moved = target.client(node=node)
            assert moved.get_secret_value(SecretId="moved/app")["SecretString"] == "second"
            assert moved.get_secret_value(SecretId="moved/app", VersionStage="AWSPREVIOUS")["SecretString"] == "first"
            assert moved.get_secret_value(SecretId="moved/app", VersionStage="BLUE")["VersionId"] == second
            assert moved.get_secret_value(SecretId="moved/binary")["SecretBinary"] == b"\x00\x01binary"
            described = moved.describe_secret(SecretId=arn)
            for key in ("ARN", "Name", "Description", "Tags", "VersionIdsToStages", "CreatedDate"):
                assert described.get(key) == before["describe"].get(key), key
            # The same versions (the reads since have set LastAccessedDate).
            versions = moved.list_secret_version_ids(SecretId=arn)["Versions"]
            assert [{k: v for k, v in item.items() if k != "LastAccessedDate"} for item in versions] == \
                [{k: v for k, v in item.items() if k != "LastAccessedDate"} for item in before["versions"]]
            assert "Principal" in moved.get_resource_policy(SecretId=arn)["ResourcePolicy"]
            reader = target.client(key=user.key, secret=user.secret, node=node)
            assert reader.get_secret_value(SecretId="moved/app")["SecretString"] == "second"
        created = target.client(node=1).create_secret(Name="moved/new", SecretString="after the move")
        assert created["Name"] == "moved/new"
        verified = lockstep(target, "audit", "verify")
        assert verified.stdout.startswith("audit log intact:"), verified.stderr
    finally:
        source.close()
        if target is not None:
            target.close()


def test_a_store_outage_under_writes_answers_service_unavailable_and_loses_no_acknowledged_write():
    relay = Relay(PG["PORT"], PG["HOST"])
    relay.start()
    database = "lockstep_outage_" + secrets.token_hex(6)
    postgres_admin(f"CREATE DATABASE {database}")
    s = Server(database=database, port=relay.port, nodes=2)
    stop = threading.Event()
    acknowledged, refusals = [], []

    def write(node):
        client = s.client(node=node)
        n = 0
        while not stop.is_set():
            n += 1
            name = f"outage/{node}/{n}"
            try:
                client.create_secret(Name=name, SecretString=f"value {n}")
                acknowledged.append(name)
            except client.exceptions.ClientError as error:
                refusals.append(error.response["Error"]["Code"])
            except Exception as error:  # a connection the server closed: not acknowledged either
                refusals.append(type(error).__name__)
    try:
        writers = [threading.Thread(target=write, args=(node,)) for node in range(2)]
        for writer in writers:
            writer.start()
        wait_for(lambda: len(acknowledged) >= 20, what="writes before the outage")
        relay.stop()
        wait_for(lambda: refusals.count("ServiceUnavailable") >= 2, what="ServiceUnavailable during the outage")
        during = len(acknowledged)
        relay.start()
        # Both nodes reconnect on their own and acknowledge writes again.
        wait_for(lambda: len(acknowledged) >= during + 20, timeout=60, what="writes after the store came back")
        stop.set()
        for writer in writers:
            writer.join()
        assert set(refusals) <= {"ServiceUnavailable"}, set(refusals)
        # No acknowledged write is lost.
        listed = set()
        paginator = s.client(node=0).get_paginator("list_secrets")
        for page in paginator.paginate(Filters=[{"Key": "name", "Values": ["outage/"]}]):
            listed.update(secret["Name"] for secret in page["SecretList"])
        assert set(acknowledged) <= listed, set(acknowledged) - listed
        print(f"\nstore outage: {len(acknowledged)} writes acknowledged, {len(refusals)} answered ServiceUnavailable, none lost")
        verified = lockstep(s, "audit", "verify")
        assert verified.stdout.startswith("audit log intact:"), verified.stderr
    finally:
        stop.set()
        s.close()
        relay.stop()


def test_nodes_starting_together_on_a_new_store_make_one_administrator_key(tmp_path):
    database = "lockstep_first_" + secrets.token_hex(6)
    postgres_admin(f"CREATE DATABASE {database}")
    env = dict(os.environ, LOCKSTEP_STORE=postgres_uri(database), LOCKSTEP_ROOT_KEY=base64.b64encode(os.urandom(32)).decode())
    nodes = [subprocess.Popen([os.environ.get("LOCKSTEP_BIN", "lockstep"), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                               str(tmp_path / f"node-{n}"), "--node-name", f"node-{n}"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) for n in range(3)]
    try:
        banners = 0
        for node in nodes:
            for line in node.stdout:
                banners += "AWS_SECRET_ACCESS_KEY=" in line
                if "listening on" in line:
                    break
        keys = json.loads(subprocess.run([os.environ.get("LOCKSTEP_BIN", "lockstep"), "iam", "list-access-keys", "--data-dir",
                                          str(tmp_path / "cli")], capture_output=True, text=True, env=env, check=True,
                                         timeout=60).stdout)["AccessKeyMetadata"]
        assert banners == 1 and len(keys) == 1, (banners, keys)
    finally:
        for node in nodes:
            node.terminate()
            node.wait(timeout=30)
        postgres_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
