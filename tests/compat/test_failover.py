"""PostgreSQL's own failures under two `lockstep serve` nodes (the suite's PostgreSQL pass, LOCKSTEP_TEST_STORE=postgres),
each on a private server (tests/support/postgres_cluster.py) since the shared test server must stay up:

- the server restarted (`pg_ctl restart -m fast`, and `-m immediate`) under writes through both nodes;
- a synchronous streaming standby promoted after the primary dies, the nodes on a multi-host URI
  (target_session_attrs=read-write) that names the standby first;
- a node started while its database is down.

Under load, every write answered 200 must read back afterwards with the value it wrote; every other answer must be
ServiceUnavailable (503), none a hang or a 500; the nodes must serve again on their own, and hear each other again
(an IAM deny through the CLI refuses on both within a second)."""
import base64
import concurrent.futures
import os
import secrets
import subprocess
import threading
import time

import pytest
from postgres_cluster import PostgresCluster, wait_until_streaming

from lockstep_server import LOCKSTEP, STORE, Server, User, allow, deny, lockstep, policy, wait_for

pytestmark = pytest.mark.skipif(STORE != "postgres", reason="restarts and promotes PostgreSQL servers (LOCKSTEP_TEST_STORE=postgres)")

CALL_TIMEOUT = 15  # seconds a call may take before the test counts it as a hang


class WriteLoad:
    """Writer threads on each node, each creating a secret and then putting new values on it (a new secret every 10
    calls, so no version is pruned), reading it now and then; every answer is recorded with the time it came."""

    def __init__(self, server, prefix, threads_per_node=2):
        self.server, self.prefix = server, prefix
        self.acknowledged = []  # (node, name, version id, value, time)
        self.refused = []  # (node, error code or exception name, HTTP status, seconds the call took, time)
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self.write, args=(node, t), daemon=True)
                        for node in range(server.nodes) for t in range(threads_per_node)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=2 * CALL_TIMEOUT)

    def write(self, node, thread):
        client = self.server.client(node=node, timeout=CALL_TIMEOUT, retry=False)  # every refusal seen
        secret, n = None, 0
        while not self.halt.is_set():
            n += 1
            value = f"{node}.{thread}.{n}.{secrets.token_hex(4)}"
            began = time.monotonic()
            try:
                if secret is not None and n % 3 == 0:  # a read now and then: its failures must be ServiceUnavailable too
                    client.get_secret_value(SecretId=secret)
                    continue
                if secret is None or n % 10 == 0:
                    answer = client.create_secret(Name=f"{self.prefix}/{node}/{thread}/{n}", SecretString=value)
                    secret = answer["Name"]
                else:
                    answer = client.put_secret_value(SecretId=secret, SecretString=value)
                self.acknowledged.append((node, answer["Name"], answer["VersionId"], value, time.monotonic()))
            except client.exceptions.ClientError as error:
                self.refused.append((node, error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"],
                                     time.monotonic() - began, time.monotonic()))
            except Exception as error:  # a timeout or a dropped connection: never acceptable here
                self.refused.append((node, type(error).__name__, None, time.monotonic() - began, time.monotonic()))

    def acknowledged_since(self, moment, node):
        return sum(1 for n, *_, at in self.acknowledged if n == node and at > moment)

    def first_after(self, moment):
        """Seconds from `moment` to the first write each node acknowledged after it."""
        return [min(at for n, *_, at in self.acknowledged if n == node and at > moment) - moment for node in range(self.server.nodes)]

    def longest_pause(self, node, after):
        """The longest time node `node` went without acknowledging a write, from the last one before `after`."""
        times = sorted(at for n, *_, at in self.acknowledged if n == node)
        before = [t for t in times if t <= after]
        times = times[len(before) - 1:] if before else times
        return max((b - a for a, b in zip(times, times[1:])), default=0)

    def check(self, back):
        """Every refusal a ServiceUnavailable (503) that came back in time, and none of a call made once the database
        was `back` (each lane's connection to the old server is replaced before use, not failed on); every acknowledged
        write reads back."""
        wrong = {(code, status) for _, code, status, *_ in self.refused if (code, status) != ("ServiceUnavailable", 503)}
        assert not wrong, wrong
        assert max((took for *_, took, _ in self.refused), default=0) < CALL_TIMEOUT
        late = [(node, f"began {at - took - back:.3f} s after") for node, _, _, took, at in self.refused if at - took > back]
        assert not late, late
        readers = [self.server.client(node=n, timeout=CALL_TIMEOUT) for n in range(self.server.nodes)]

        def read_back(write):  # on the node that didn't write it
            node, name, version, value, _ = write
            reader = readers[(node + 1) % len(readers)]
            return reader.get_secret_value(SecretId=name, VersionId=version)["SecretString"] == value
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            found = list(pool.map(read_back, self.acknowledged))
        lost = [write for write, ok in zip(self.acknowledged, found) if not ok]
        assert not lost, lost[:5]


def listeners(cluster, database):
    """How many nodes LISTEN on `database` (their listener connections)."""
    return int(cluster.psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' "
                            "AND query = 'LISTEN lockstep_changes'"))


def assert_deny_reaches_both_nodes_within_a_second(server, name):
    user = User(server, name, policies=[policy(allow())])
    server.client(node=0).create_secret(Name=f"{name}/guarded", SecretString="guarded")
    readers = [server.client(key=user.key, secret=user.secret, node=n, timeout=CALL_TIMEOUT) for n in range(server.nodes)]
    for reader in readers:
        assert reader.get_secret_value(SecretId=f"{name}/guarded")["SecretString"] == "guarded"
    changed = time.monotonic()
    lockstep(server, "iam", "put-user-policy", "--user-name", name, "--policy-name", "deny-all", "--policy-document", policy(deny()))
    for reader in readers:
        def refused():
            try:
                reader.get_secret_value(SecretId=f"{name}/guarded")
                return None
            except reader.exceptions.ClientError as error:
                return error.response["Error"]["Code"]
        assert wait_for(refused, timeout=5, what="the deny on every node", interval=0.02) == "AccessDeniedException"
    assert time.monotonic() - changed < 1.0


def assert_nodes_alive(server):
    assert [p.poll() for p in [server.process, *server.others]] == [None] * server.nodes, server.server_log()[-3000:]


@pytest.fixture(scope="module")
def postgres():
    cluster = PostgresCluster.primary()
    yield cluster
    cluster.close()


def report_recovery(load, what, began, recovered, since):
    """Prints what the load saw of an outage from `began` to `recovered`, and checks no node paused much longer."""
    pauses = [load.longest_pause(n, began) for n in range(2)]
    print(f"\n{what}: {len(load.acknowledged)} writes acknowledged, {len(load.refused)} answered ServiceUnavailable, "
          f"none lost; longest pause without an acknowledged write per node: {', '.join(f'{p:.2f} s' for p in pauses)}; "
          f"first write acknowledged {', '.join(f'{s:.2f} s' for s in load.first_after(recovered))} {since}")
    assert max(pauses) < (recovered - began) + 5


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_restarted_under_write_load_loses_no_acknowledged_write(postgres, mode):
    database = f"lockstep_restart_{mode}"
    postgres.psql(f"CREATE DATABASE {database}")
    server = Server(uri=postgres.uri(database), nodes=2)
    try:
        wait_for(lambda: listeners(postgres, database) == 2, what="both nodes listening")
        started = postgres.psql("SELECT pg_postmaster_start_time()")
        with WriteLoad(server, f"restart-{mode}") as load:
            wait_for(lambda: all(load.acknowledged_since(0, n) >= 15 for n in range(2)), what="writes on both nodes")
            began = time.monotonic()
            postgres.restart(mode)
            back = time.monotonic()
            # Both nodes, not restarted, acknowledge writes again.
            wait_for(lambda: all(load.acknowledged_since(back, n) >= 10 for n in range(2)), timeout=30,
                     what="writes on both nodes after the restart")
        assert postgres.psql("SELECT pg_postmaster_start_time()") != started  # it really restarted
        assert_nodes_alive(server)
        load.check(back)
        report_recovery(load, f"pg_ctl restart -m {mode} took {back - began:.2f} s under load", began, back,
                        "after the server was back")
        # Each node's LISTEN connection came back: an IAM change is heard at once again.
        wait_for(lambda: listeners(postgres, database) == 2, what="both nodes listening again")
        assert_deny_reaches_both_nodes_within_a_second(server, f"after-restart-{mode}")
        verified = lockstep(server, "audit", "verify")
        assert verified.stdout.startswith("audit log intact:"), verified.stderr
    finally:
        server.close()
        postgres.psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def test_a_promoted_synchronous_standby_takes_over_with_no_acknowledged_write_lost(tmp_path):
    primary = PostgresCluster.primary(synchronous=True)
    standby = server = None
    try:
        standby = primary.standby()
        wait_until_streaming(primary, "sync")  # every commit waits for the standby's flush
        database = "lockstep_failover"
        primary.psql(f"CREATE DATABASE {database}")
        # A node on the standby alone, while it is one, doesn't write there: it can't open the store, and says why.
        alone = subprocess.run(
            [LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "alone"), "--store-wait", "1",
             "--store", standby.uri(database, target_session_attrs="read-write")],
            capture_output=True, text=True, timeout=60, env=dict(os.environ, LOCKSTEP_ROOT_KEY=base64.b64encode(os.urandom(32)).decode()))
        assert alone.returncode == 1 and "read-only" in alone.stderr, alone.stderr
        assert standby.password not in alone.stdout + alone.stderr
        assert primary.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database) == "0"  # nor anywhere

        # Two nodes on the multi-host URI, the standby first: libpq skips it for the primary.
        server = Server(uri=standby.uri(database, primary, target_session_attrs="read-write"), nodes=2)
        wait_for(lambda: listeners(primary, database) == 2, what="both nodes listening on the primary")
        assert standby.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lockstep'") == "0"
        with WriteLoad(server, "failover") as load:
            wait_for(lambda: all(load.acknowledged_since(0, n) >= 15 for n in range(2)), what="writes on both nodes")
            began = time.monotonic()
            primary.stop("immediate")
            standby.promote()
            promoted = time.monotonic()
            wait_for(lambda: all(load.acknowledged_since(promoted, n) >= 10 for n in range(2)), timeout=30,
                     what="writes on both nodes after the promotion")
        assert standby.psql("SELECT pg_is_in_recovery()") == "f"
        assert_nodes_alive(server)
        load.check(promoted)  # read back from the promoted standby: the primary is gone
        report_recovery(load, f"failover (primary stopped -m immediate, standby promoted in {promoted - began:.2f} s)",
                        began, promoted, "after the promotion")
        wait_for(lambda: listeners(standby, database) == 2, what="both nodes listening on the new primary")
        assert_deny_reaches_both_nodes_within_a_second(server, "after-failover")
        verified = lockstep(server, "audit", "verify")
        assert verified.stdout.startswith("audit log intact:"), verified.stderr
    finally:
        if server is not None:
            server.close()
        if standby is not None:
            standby.close()
        primary.close()


def test_a_node_started_while_its_database_is_down_waits_a_bounded_time(postgres, tmp_path):
    database = "lockstep_late"
    postgres.psql(f"CREATE DATABASE {database}")
    uri = postgres.uri(database)
    env = dict(os.environ, LOCKSTEP_ROOT_KEY=base64.b64encode(os.urandom(32)).decode())
    node = None
    postgres.stop("fast")
    try:
        # It tries for --store-wait seconds, logging each attempt, then exits 1 with one clear line.
        began = time.monotonic()
        gave_up = subprocess.run([LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "a"), "--store", uri,
                                  "--store-wait", "2"], capture_output=True, text=True, timeout=60, env=env)
        took = time.monotonic() - began
        assert gave_up.returncode == 1, gave_up.stderr
        assert f"can't open the store postgresql://lockstep:****@127.0.0.1:{postgres.port}/{database}" in gave_up.stderr
        assert "gave up after" in gave_up.stderr and gave_up.stderr.count("trying again") >= 2, gave_up.stderr
        assert "Fatal error" not in gave_up.stderr and "Stack dump" not in gave_up.stderr
        assert postgres.password not in gave_up.stdout + gave_up.stderr
        assert 2 <= took < 15, took

        # Started before its database, it serves as soon as the database is up.
        log = open(tmp_path / "b.log", "w+")
        node = subprocess.Popen([LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "b"), "--store", uri],
                                stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        wait_for(lambda: "trying again" in open(tmp_path / "b.log").read(), what="a logged attempt")
        postgres.start()
        up = time.monotonic()
        for line in node.stdout:
            if "listening on" in line:
                break
        assert node.poll() is None and "listening on" in line, open(tmp_path / "b.log").read()
        print(f"\na node started before its database listened {time.monotonic() - up:.2f} s after the database came up")
    finally:
        if node is not None:
            node.terminate()
            node.wait(timeout=30)
        if not postgres.is_running():
            postgres.start()
        postgres.psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
