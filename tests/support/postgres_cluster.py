"""A private PostgreSQL 15 server for tests that restart, kill or promote it (the shared test server of
scripts/testdb.sh serves other tests and must stay up): initdb into a temporary directory on a free loopback port,
start / stop / restart / promote with pg_ctl, and a streaming standby made with pg_basebackup -R.

As root the server runs as the unprivileged OS user of scripts/db/postgres.sh (lockstep-db, made here if missing),
through `setpriv`, the way that script does: initdb, postgres and pg_ctl refuse to run as root. Over TCP every login is
SCRAM-SHA-256 with a random password; the Unix socket (in the cluster's directory) trusts local connections and is
only for this helper's own statements and for the standby's replication connection."""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import urllib.parse

from lockstep_server import wait_for

PG_BIN = "/usr/lib/postgresql/15/bin"
OS_USER = "lockstep-db"
USER = "lockstep"


def _as_server_user():
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "-u", OS_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                        OS_USER], check=True)
    return ["setpriv", f"--reuid={OS_USER}", f"--regid={OS_USER}", "--init-groups", "--"]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """One PostgreSQL server in its own directory. `PostgresCluster.primary()` makes a new one; `standby()` makes a
    streaming replica of it. `synchronous=True` makes every commit wait for a standby's flush (synchronous_standby_names
    '*', synchronous_commit on): a failover then loses no acknowledged commit."""

    def __init__(self, directory, port, password):
        self.directory, self.port, self.password = directory, port, password
        self.data = os.path.join(directory, "data")
        self.log_path = os.path.join(directory, "postgres.log")

    @classmethod
    def primary(cls, synchronous=False):
        directory = tempfile.mkdtemp(prefix="lockstep-pg-")
        cluster = cls(directory, _free_port(), secrets.token_hex(16))
        cluster._own(directory)
        pwfile = os.path.join(directory, "pwfile")
        with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(cluster.password + "\n")
        cluster._own(pwfile)
        try:
            cluster._run([f"{PG_BIN}/initdb", "-D", cluster.data, "-U", USER, f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C",
                          "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions"])
        finally:
            os.remove(pwfile)
        cluster._configure(f"""
synchronous_standby_names = '{"*" if synchronous else ""}'
synchronous_commit = on
wal_level = replica
max_wal_senders = 4
""")
        with open(os.path.join(cluster.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\nlocal replication all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        cluster.start()
        return cluster

    def standby(self):
        """A hot standby of this server, streaming from it (pg_basebackup -R), started."""
        directory = tempfile.mkdtemp(prefix="lockstep-pg-standby-")
        standby = PostgresCluster(directory, _free_port(), self.password)
        self._own(directory)
        self._run([f"{PG_BIN}/pg_basebackup", "-h", self.directory, "-p", str(self.port), "-U", USER, "-D", standby.data,
                   "-R", "-X", "stream", "-c", "fast"])
        # Its own port and socket; and once promoted it has no standby of its own to wait for.
        standby._configure("synchronous_standby_names = ''\nhot_standby = on\n")
        standby.start()
        return standby

    def _configure(self, extra):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"""
# tests/support/postgres_cluster.py
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.directory}'
password_encryption = 'scram-sha-256'
log_line_prefix = '%m [%p] %q%u@%d '
logging_collector = off
shared_buffers = 16MB
max_connections = 60
{extra}""")

    def _own(self, path):
        if os.geteuid() == 0:
            _as_server_user()  # makes the OS user when missing
            shutil.chown(path, OS_USER, OS_USER)

    def _run(self, command, timeout=120):
        result = subprocess.run(_as_server_user() + command, cwd="/", capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{os.path.basename(command[0])} failed ({result.returncode}): {result.stderr or result.stdout}\n"
                               + self.log_tail())
        return result.stdout

    def pg_ctl(self, *args, timeout=60):
        return self._run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log_path, *args], timeout=timeout)

    def start(self):
        self.pg_ctl("start", "-w", "-t", "30")

    def stop(self, mode="fast"):
        self.pg_ctl("stop", "-m", mode, "-w", "-t", "30")

    def restart(self, mode="fast"):
        """`pg_ctl restart -m MODE`: every connection is closed (fast: told why; immediate: the server processes are
        killed), the server comes back on the same port."""
        self.pg_ctl("restart", "-m", mode, "-w", "-t", "30")

    def promote(self):
        self.pg_ctl("promote", "-w", "-t", "30")

    def is_running(self):
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def psql(self, sql, database="postgres"):
        """Runs SQL over the Unix socket as the superuser; the output, one row a line (no trailing newline)."""
        return self._run(["psql", "-h", self.directory, "-p", str(self.port), "-U", USER, "-d", database, "-qAtX",
                          "-v", "ON_ERROR_STOP=1", "-c", sql], timeout=60).strip()

    def uri(self, database, *more, **parameters):
        """The URI of `database` on this server, then on each of `more` (a multi-host URI), with `parameters`."""
        hosts = ",".join(f"127.0.0.1:{c.port}" for c in (self, *more))
        query = ("?" + urllib.parse.urlencode(parameters)) if parameters else ""
        return f"postgresql://{USER}:{urllib.parse.quote(self.password, safe='')}@{hosts}/{database}{query}"

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def close(self):
        if self.is_running():
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.directory, ignore_errors=True)


def wait_until_streaming(primary, sync_state="async", timeout=30):
    """Waits until a standby streams from `primary` in `sync_state` (`sync`: the primary waits for its flush; a
    standby first reports `async` while it catches up)."""
    def streaming():
        return primary.psql(f"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = '{sync_state}'") != "0"
    wait_for(streaming, timeout=timeout, what=f"a standby streaming from the primary ({sync_state})")
