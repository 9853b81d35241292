"""The pieces of the crash harness: a real `lockstep` (debug build) on a data directory, its server, and the real
databases of scripts/testdb.sh, checked with their own command-line clients (psql, mariadb), never with Lockstep's
drivers.
"""
import json
import os
import re
import secrets
import shutil
import signal
import string
import subprocess
import tempfile
import threading
import time
from urllib.parse import quote

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCKSTEP = os.environ.get("LOCKSTEP_BIN", os.path.join(ROOT, ".build", "debug", "lockstep"))
ACCOUNT = "123456789012"
REGION = "us-east-1"
PROBE_TABLE = "crash_probe"


def random_word(length=12, alphabet=string.ascii_lowercase + string.digits):
    return "".join(secrets.choice(alphabet) for _ in range(length))


class MissingDatabase(Exception):
    pass


class Database:
    """One throwaway server from scripts/testdb.sh, reached with its CLI client."""

    def __init__(self, engine):
        self.engine = engine  # "postgres" | "mariadb"
        prefix = f"LOCKSTEP_TEST_{engine.upper()}_"
        values = {name: os.environ.get(prefix + name, "") for name in ("HOST", "PORT", "USER", "PASSWORD")}
        if not all(values.values()):
            raise MissingDatabase(f"{prefix}* not set: run scripts/testdb.sh start; eval \"$(scripts/testdb.sh env)\"")
        self.host, self.port = values["HOST"], int(values["PORT"])
        self.admin, self.admin_password = values["USER"], values["PASSWORD"]
        # The harness's own GRANTs and DROP OWNED on the probe table, from cells running in parallel, would collide
        # in PostgreSQL ("tuple concurrently updated" on the table's ACL): they take turns.
        self.admin_lock = threading.Lock()
        self.last_error = ""

    def run(self, sql, user=None, password=None, port=None, database=None):
        """Runs `sql` as `user`; returns its output, or None when the login or the statement failed."""
        user, password, port = user or self.admin, password or self.admin_password, port or self.port
        env = dict(os.environ)
        if self.engine == "postgres":
            env.update(PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
            command = ["psql", "-h", self.host, "-p", str(port), "-U", user, "-d", database or "postgres",
                       "-v", "ON_ERROR_STOP=1", "-tAqc", sql]
        else:
            env["MYSQL_PWD"] = password
            command = ["mariadb", "--protocol=TCP", "-h", self.host, "-P", str(port), "-u", user,
                       "--connect-timeout=5", "-N", "-B", "-e", sql] + ([database] if database else [])
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            self.last_error = result.stderr.strip()
            return None
        return result.stdout.strip()

    @property
    def probe(self):
        return PROBE_TABLE if self.engine == "postgres" else f"crash.{PROBE_TABLE}"

    def prepare(self):
        """The table every rotated user must be able to read (a login without its privileges is an outage too)."""
        if self.engine == "postgres":
            sql = f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (id INT); TRUNCATE {PROBE_TABLE}; INSERT INTO {PROBE_TABLE} VALUES (1)"
        else:
            sql = (f"CREATE DATABASE IF NOT EXISTS crash; CREATE TABLE IF NOT EXISTS {self.probe} (id INT); "
                   f"TRUNCATE {self.probe}; INSERT INTO {self.probe} VALUES (1)")
        assert self.run(sql) is not None, f"could not prepare {self.engine}"

    def create_store(self):
        """A new, empty PostgreSQL database for a Lockstep store (postgres only); returns its URI."""
        name = "lockstep_crash_" + random_word(12)
        with self.admin_lock:
            assert self.run(f"CREATE DATABASE {name}") is not None, f"could not create {name}: {self.last_error}"
        return (f"postgresql://{quote(self.admin, safe='')}:{quote(self.admin_password, safe='')}@{self.host}:{self.port}"
                f"/{name}")

    def drop_store(self, uri):
        with self.admin_lock:
            self.run(f"DROP DATABASE IF EXISTS {uri.rsplit('/', 1)[1]} WITH (FORCE)")

    def create_user(self, user, password):
        if self.engine == "postgres":
            sql = f"CREATE ROLE {user} LOGIN PASSWORD '{password}'; GRANT SELECT ON {PROBE_TABLE} TO {user}"
        else:
            sql = f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; GRANT SELECT ON {self.probe} TO '{user}'@'%'"
        with self.admin_lock:
            created = self.run(sql)
            # The error may quote the statement, password included: never print it.
            assert created is not None, \
                f"could not create {self.engine} user {user}: {self.last_error.replace(password, '<password>')}"

    def drop_users(self, *users):
        with self.admin_lock:
            self._drop_users(users)

    def _drop_users(self, users):
        for user in users:
            if self.engine == "postgres":
                self.run(f"DROP OWNED BY {user} CASCADE; DROP ROLE IF EXISTS {user}")
            else:
                self.run(f"DROP USER IF EXISTS '{user}'@'%'")

    def logs_in(self, secret, port=None):
        """Whether the secret's username and password log in (and read the probe table)."""
        return self.login(secret, port) == "reads"

    def login(self, secret, port=None):
        """'reads' (logs in and reads the probe), 'login' (logs in, can't read), or 'refused'."""
        user, password = secret.get("username"), secret.get("password")
        if not user or not password:
            return "refused"
        port = port or int(secret.get("port", self.port))
        if self.run(f"SELECT count(*) FROM {self.probe}", user, password, port) == "1":
            return "reads"
        return "login" if self.run("SELECT 1", user, password, port) == "1" else "refused"

    def secret_json(self, user, password, port=None, **extra):
        value = {"engine": self.engine, "host": self.host, "port": port or self.port, "username": user,
                 "password": password}
        if self.engine == "postgres":
            value["dbname"] = "postgres"
        value.update(extra)
        return json.dumps(value)


class DataDirectory:
    """A Lockstep data directory, used through the `lockstep` CLI in-process (no server needed). With `store` (a
    PostgreSQL URI), the store is that database and the directory holds only the first node's local files (its root
    key among them); `node_data(name)` is another node's directory."""

    def __init__(self, parent=None, store=None):
        self.path = tempfile.mkdtemp(prefix="lockstep-crash-", dir=parent)
        self.data = os.path.join(self.path, "data")
        self.store = store
        output = self.cli("init").stdout
        self.access_key_id = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", output).group(1)
        self.secret_access_key = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", output).group(1)

    def node_data(self, name):
        return os.path.join(self.path, f"data-{name}")

    def env(self, **extra):
        env = dict(os.environ)
        for name in ("LOCKSTEP_ROOT_KEY", "LOCKSTEP_FAULT", "AWS_ENDPOINT_URL", "LOCKSTEP_STORE"):
            env.pop(name, None)
        env["LOCKSTEP_ACCOUNT_ID"] = ACCOUNT
        if self.store:  # in the environment, not on a command line `ps` shows: the URI holds a password
            env["LOCKSTEP_STORE"] = self.store
        key = os.path.join(self.data, "root.key")
        if self.store and os.path.exists(key):  # every node of the store needs the key `init` wrote
            with open(key) as f:
                env["LOCKSTEP_ROOT_KEY"] = f.read().strip()
        env.update(extra)
        return env

    def cli(self, *args, check=True):
        result = subprocess.run([LOCKSTEP, *args, "--data-dir", self.data], capture_output=True,
                                text=True, env=self.env(), timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"lockstep {' '.join(args[:1])} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result

    def cli_json(self, *args):
        return json.loads(self.cli(*args).stdout)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Server:
    """`lockstep serve` on a free loopback port over a data directory, its stderr kept in a log file. `node` (with a
    PostgreSQL store) runs it as another node: its own data directory and `--node-name`."""

    def __init__(self, directory, *args, fault=None, name="serve", node=None):
        self.directory = directory
        self.log_path = os.path.join(directory.path, f"{name}.log")
        env = directory.env(**({"LOCKSTEP_FAULT": fault} if fault else {}))
        data = directory.node_data(node) if node else directory.data
        naming = ["--node-name", node] if node else []
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [LOCKSTEP, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, *naming, *args],
                stdout=subprocess.PIPE, stderr=log, text=True, env=env,
            )
        self.url = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if m := re.search(r"listening on (https?://[\d.]+:\d+)", line):
                self.url = m.group(1)
                break
        if self.url is None:
            # A fault early in start-up (a store write) may kill it before it listens: that is for the caller to judge.
            self.process.wait(timeout=30)

    @property
    def running(self):
        return self.process.poll() is None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def client(self):
        return boto3.client(
            "secretsmanager", endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=self.directory.access_key_id, aws_secret_access_key=self.directory.secret_access_key,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
        )

    def wait_exit(self, timeout):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_log(self, pattern, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.log()):
                return True
            if not self.running:
                return bool(re.search(pattern, self.log()))
            time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGTERM):
        if self.running:
            self.process.send_signal(sig)
            if self.wait_exit(30) is None:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def lifecycle_events(log_text):
    """The rotation lifecycle events in a server log, as (name, version id) pairs.

    Until the audit log (issue 7) lands, `LoggingLifecycleEvents` writes them as `info lockstep.events: <Name>` lines
    with `version=<id>` metadata; switch this function to `lockstep audit list` then.
    """
    events = []
    for line in log_text.splitlines():
        if "lockstep.events" not in line:
            continue
        name = re.search(r"lockstep\.events:.*?\b((?:Test)?Rotation[A-Za-z]+)\b", line)
        version = re.search(r"version=([0-9a-f-]{36})", line)
        if name:
            events.append((name.group(1), version.group(1) if version else None))
    return events
