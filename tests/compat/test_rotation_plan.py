"""`lockstep rotation plan` end to end: the real binary against the real PostgreSQL and MariaDB of scripts/testdb.sh.

Each plan is checked for its verdicts and, through the servers' statement logs (PostgreSQL's log_statement=all,
MariaDB's general log), for what it sent: only SELECT and SHOW, from the moment the plan started. Databases are set
up with psql and the mariadb client, never with Lockstep's drivers."""
import datetime
import json
import os
import re
import secrets
import subprocess
import tempfile

import pytest

from conftest import LOCKSTEP
from lockstep_server import wait_for

PG = {k: os.environ.get(f"LOCKSTEP_TEST_POSTGRES_{k}") for k in ("HOST", "PORT", "USER", "PASSWORD", "LOG", "CA")}
MDB = {k: os.environ.get(f"LOCKSTEP_TEST_MARIADB_{k}") for k in ("HOST", "PORT", "USER", "PASSWORD", "LOG", "CA")}
REQUIRED = os.environ.get("LOCKSTEP_REQUIRE_DATABASES") == "1"

if not (all(PG.values()) and all(MDB.values())):
    if REQUIRED:
        raise RuntimeError("LOCKSTEP_REQUIRE_DATABASES=1 but LOCKSTEP_TEST_POSTGRES_*/MARIADB_* are not set: run scripts/testdb.sh")
    pytest.skip("needs scripts/testdb.sh start", allow_module_level=True)

READ_ONLY = re.compile(r"^\s*(SELECT|SHOW)\b", re.IGNORECASE)


# MARK: - Databases


def psql(sql, user=None, password=None, check=True):
    env = dict(os.environ, PGPASSWORD=password or PG["PASSWORD"], PGCONNECT_TIMEOUT="5")
    result = subprocess.run(
        ["psql", "-h", PG["HOST"], "-p", PG["PORT"], "-U", user or PG["USER"], "-d", "postgres", "-v", "ON_ERROR_STOP=1",
         "-tAqc", sql], capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout.strip() if result.returncode == 0 else None


def mariadb(sql, user=None, password=None, check=True):
    env = dict(os.environ, MYSQL_PWD=password or MDB["PASSWORD"])
    result = subprocess.run(
        ["mariadb", "--no-defaults", "--protocol=tcp", "-h", MDB["HOST"], "-P", MDB["PORT"], "-u", user or MDB["USER"],
         "--batch", "--skip-column-names", "-e", sql], capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout.strip() if result.returncode == 0 else None


def token():
    return secrets.token_hex(5)


def password():
    # Letters, digits and punctuation, so MariaDB's simple_password_check would accept it too.
    return "Aa1-" + secrets.token_hex(12)


@pytest.fixture
def pg_roles():
    """pg_roles(name, password, options="") creates a PostgreSQL login role; all are dropped (with clones) at the end."""
    created = []

    def create(prefix, secret, options="", md5=False):
        name = f"{prefix}{token()}"
        created.extend([name, name + "_clone"])
        encryption = "SET password_encryption = 'md5'; " if md5 else ""
        psql(f"{encryption}CREATE ROLE {name} LOGIN PASSWORD '{secret}' {options}")
        return name

    yield create
    for name in reversed(created):
        psql(f"DROP ROLE IF EXISTS {name}", check=False)


@pytest.fixture
def mariadb_users():
    """mariadb_users(prefix, password, grants=[...]) creates a MariaDB account at '%'; all are dropped at the end."""
    created = []

    def create(prefix, secret, grants=()):
        name = f"{prefix}{token()}"
        created.extend([name, name + "_clone"])
        mariadb(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{secret}'")
        for grant in grants:
            mariadb(f"GRANT {grant} TO '{name}'@'%'")
        return name

    yield create
    for name in created:
        mariadb(f"DROP USER IF EXISTS '{name}'@'%'", check=False)


# MARK: - Lockstep


@pytest.fixture
def lockstep():
    """The in-process CLI on a fresh data directory: lockstep(*args, check=True) -> CompletedProcess."""
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, LOCKSTEP_DATA_DIR=directory)
        env.pop("LOCKSTEP_ROOT_KEY", None)
        env.pop("LOCKSTEP_DATABASE_CA_FILE", None)

        def run(*args, check=True, extra_env=None):
            result = subprocess.run([LOCKSTEP, *args], capture_output=True, text=True, env=dict(env, **(extra_env or {})),
                                    timeout=120)
            if check:
                assert result.returncode == 0, result.stdout + result.stderr
            return result

        run("init")
        yield run


def create_secret(lockstep, name, value):
    created = json.loads(lockstep("create-secret", "--name", name, "--secret-string", json.dumps(value)).stdout)
    return created["ARN"]


def postgres_secret(user, secret, **extra):
    return {"engine": "postgres", "host": PG["HOST"], "port": int(PG["PORT"]), "username": user, "password": secret,
            "dbname": "postgres", **extra}


def mariadb_secret(user, secret, **extra):
    return {"engine": "mariadb", "host": MDB["HOST"], "port": int(MDB["PORT"]), "username": user, "password": secret,
            **extra}


def plan(lockstep, name, *extra):
    """Runs `rotation plan --output json`: (exit code, the plan, {check: [(status, reason), ...]})."""
    result = lockstep("rotation", "plan", "--secret-id", name, "--output", "json", *extra, check=False)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["Result"] == ("fail" if result.returncode == 1 else document["Result"])
    checks = {}
    for check in document["Checks"]:
        checks.setdefault(check["Check"], []).append((check["Status"], check["Reason"]))
    return result.returncode, document, checks


def statuses(checks):
    return {name: sorted({status for status, _ in entries}) for name, entries in checks.items()}


# MARK: - Statement logs


class LogSlice:
    """What a server log gained after this was made."""

    def __init__(self, path):
        self.path = path
        self.start = os.path.getsize(path)

    def text(self):
        with open(self.path, "rb") as log:
            log.seek(self.start)
            return log.read().decode("utf-8", errors="replace")


def postgres_statements(text):
    """Statements of Lockstep's connections (application_name=lockstep) in a slice of PostgreSQL's log."""
    entry = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] (.*)$")
    pids, statements, current = set(), [], None
    for line in text.splitlines():
        match = entry.match(line)
        if not match:
            if current is not None:  # a statement's continuation line
                current[1] += "\n" + line
            continue
        pid, rest = match.groups()
        current = None
        if "connection authorized:" in rest and "application_name=lockstep" in rest:
            pids.add(pid)
        elif (found := re.search(r"LOG:  (?:statement|execute [^:]*): (.*)$", rest)):
            current = [pid, found.group(1)]
            statements.append(current)
    return [sql for pid, sql in statements if pid in pids]


def mariadb_statements(text, users):
    """Statements of the connections of `users` in a slice of MariaDB's general log."""
    entry = re.compile(r"^(?:\d{6}\s+\d{1,2}:\d\d:\d\d)?\s+(\d+) (\w[\w ]*?)\t(.*)$")
    threads, statements, current = set(), [], None
    for line in text.splitlines():
        match = entry.match(line)
        if not match:
            if current is not None:
                current[1] += "\n" + line
            continue
        thread, command, argument = match.groups()
        current = None
        if command == "Connect" and argument.split("@")[0] in users:
            threads.add(thread)
        elif command in ("Query", "Execute", "Prepare"):
            current = [thread, argument]
            statements.append(current)
    return [sql for thread, sql in statements if thread in threads]


def assert_read_only(statements, what):
    assert statements, f"no statements of the plan found in {what}"
    writes = [sql for sql in statements if not READ_ONLY.match(sql)]
    assert not writes, f"the plan sent statements that are not SELECT or SHOW: {writes}"


# MARK: - Tests


def test_a_healthy_postgres_secret_passes_and_the_plan_only_reads(lockstep, pg_roles):
    """Alternating users through a superuser master, TLS verified, after one real rotation: every check passes,
    and PostgreSQL's log shows only SELECTs from the plan's connections."""
    initial = password()
    user = pg_roles("plan_pg_", initial)
    master_arn = create_secret(lockstep, "master", postgres_secret(PG["USER"], PG["PASSWORD"], host="localhost", ssl=True))
    create_secret(lockstep, "app", postgres_secret(user, initial, host="localhost", ssl=True, masterarn=master_arn))
    ca = ["--database-ca-file", PG["CA"]]
    lockstep("rotate", "--secret-id", "app", "--rotation-lambda-arn", "postgres-multi-user",
             "--rotation-rules", "ScheduleExpression=rate(7 days)", *ca)
    value = json.loads(json.loads(lockstep("get-secret-value", "--secret-id", "app").stdout)["SecretString"])
    assert value["username"] == user + "_clone"

    log = LogSlice(PG["LOG"])
    result = lockstep("rotation", "plan", "--secret-id", "app", "--count", "3", *ca)
    code, document, checks = plan(lockstep, "app", "--count", "3", *ca)
    assert result.returncode == 0 and code == 0, result.stdout
    assert document["Result"] == "pass", document
    assert all(status == ["pass"] for status in statuses(checks).values()), checks
    for name in ("secret", "master-secret", "login", "master-login", "tls", "authentication", "privileges",
                 "clone-grants", "password-policy", "schedule"):
        assert name in checks, f"no {name} check: {checks}"
    assert any("SCRAM-SHA-256" in reason for _, reason in checks["authentication"])
    assert any("returns to the first name" in reason for _, reason in checks["clone-grants"])
    assert len(document["Windows"]) == 3
    # The human table names every check; no password is printed, in either form.
    assert "Result: pass" in result.stdout and "clone-grants" in result.stdout
    for text in (result.stdout + result.stderr, json.dumps(document)):
        assert value["password"] not in text and PG["PASSWORD"] not in text
    # Everything the plan's connections sent was a SELECT (the last one is passwordcheck's setting).
    wait_for(lambda: "shared_preload_libraries" in log.text(), what="the plan's last statement in the PostgreSQL log")
    statements = postgres_statements(log.text())
    assert_read_only(statements, "the PostgreSQL log")
    assert any("pg_authid" in sql for sql in statements)


def test_tls_verification_failures_fail_the_login(lockstep, pg_roles):
    """"ssl": true against the system's CAs, which don't know the test server's: the login check fails and says why."""
    initial = password()
    user = pg_roles("plan_pg_", initial)
    create_secret(lockstep, "app", postgres_secret(user, initial, host="localhost", ssl=True))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "postgres-single-user", "--no-rotate-immediately",
             "--rotation-rules", "AutomaticallyAfterDays=7")
    code, _, checks = plan(lockstep, "app")
    assert code == 1
    [(status, reason)] = checks["login"]
    assert status == "fail" and "certificate verify failed" in reason
    code, _, checks = plan(lockstep, "app", "--database-ca-file", PG["CA"])
    assert code == 0 and checks["login"][0][0] == "pass" and checks["tls"][0][0] == "pass"


def test_a_healthy_mariadb_secret_passes_and_the_plan_only_reads(lockstep, mariadb_users):
    """Single user over verified TLS: exit 0; the general log shows only SELECT and SHOW from the plan's login (not
    even the session SET the rotation's connections send); the secret's LastAccessedDate stays unset."""
    initial = password()
    user = mariadb_users("plan_m_", initial, grants=["SELECT ON mysql.* "])
    create_secret(lockstep, "app", mariadb_secret(user, initial, host="localhost", ssl=True))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "mariadb-single-user",
             "--rotation-rules", "AutomaticallyAfterDays=30", "--no-rotate-immediately")

    log = LogSlice(MDB["LOG"])
    code, document, checks = plan(lockstep, "app", "--database-ca-file", MDB["CA"])
    assert code == 0, document
    status = statuses(checks)
    for name in ("secret", "login", "tls", "authentication", "privileges", "password-policy", "schedule"):
        assert status[name] == ["pass"], checks
    # RotateSecret queued a test rotation that nothing runs here: its AWSPENDING placeholder is reported.
    assert status["rotation"] == ["warn"]
    assert any("mysql_native_password" in reason for _, reason in checks["authentication"])
    wait_for(lambda: "strict_password_validation" in log.text(), what="the plan's last statement in the general log")
    assert_read_only(mariadb_statements(log.text(), {user}), "MariaDB's general log")
    assert "LastAccessedDate" not in json.loads(lockstep("describe-secret", "--secret-id", "app").stdout)


def test_a_mariadb_master_without_create_user_fails_the_privileges_check(lockstep, mariadb_users):
    initial, weak = password(), password()
    user = mariadb_users("plan_m_", initial, grants=["SELECT, INSERT ON mysql.* "])
    master = mariadb_users("plan_w_", weak, grants=["SELECT ON mysql.* "])
    master_arn = create_secret(lockstep, "master", mariadb_secret(master, weak))
    create_secret(lockstep, "app", mariadb_secret(user, initial, masterarn=master_arn))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "mariadb-multi-user", "--no-rotate-immediately",
             "--rotation-rules", "AutomaticallyAfterDays=7")
    log = LogSlice(MDB["LOG"])
    code, document, checks = plan(lockstep, "app")
    assert code == 1 and document["Result"] == "fail"
    [(status, reason)] = checks["privileges"]
    assert status == "fail"
    assert "lacks the CREATE USER privilege" in reason and "GRANT OPTION" in reason
    assert "INSERT ON `mysql`.*" in reason
    [(status, reason)] = checks["clone-grants"]
    assert status == "fail" and "not equal" in reason
    wait_for(lambda: "strict_password_validation" in log.text(), what="the plan's last statement in the general log")
    assert_read_only(mariadb_statements(log.text(), {user, master}), "MariaDB's general log")


def test_a_postgres_master_without_createrole_fails_the_privileges_check(lockstep, pg_roles):
    initial, weak = password(), password()
    user = pg_roles("plan_pg_", initial)
    master = pg_roles("plan_w_", weak)
    master_arn = create_secret(lockstep, "master", postgres_secret(master, weak))
    create_secret(lockstep, "app", postgres_secret(user, initial, masterarn=master_arn))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "postgres-multi-user", "--no-rotate-immediately",
             "--rotation-rules", "AutomaticallyAfterDays=7")
    code, _, checks = plan(lockstep, "app")
    assert code == 1
    [(status, reason)] = checks["privileges"]
    assert status == "fail" and f"master {master} has neither SUPERUSER nor CREATEROLE" in reason
    # A non-superuser master can't read pg_authid or shared_preload_libraries: said, not guessed.
    assert any("not readable" in reason for _, reason in checks["authentication"])
    assert statuses(checks)["password-policy"] == ["warn"]


def test_an_md5_only_account_is_reported(lockstep, pg_roles):
    """A role whose password is stored as md5 (it logs in through an md5 pg_hba line): the plan, reading pg_authid
    through the superuser master, warns that the rotation will store SCRAM-SHA-256."""
    psql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lockstep_md5') "
         "THEN CREATE ROLE lockstep_md5 NOLOGIN; END IF; END $$")
    initial = password()
    user = pg_roles("plan_md5_", initial, options="IN ROLE lockstep_md5", md5=True)
    assert psql(f"SELECT rolpassword LIKE 'md5%' FROM pg_authid WHERE rolname = '{user}'") == "t"
    assert psql("SELECT 1", user=user, password=initial, check=False) == "1", \
        "the md5 account can't log in: restart the test server (scripts/testdb.sh) for its md5 pg_hba line"
    master_arn = create_secret(lockstep, "master", postgres_secret(PG["USER"], PG["PASSWORD"]))
    create_secret(lockstep, "app", postgres_secret(user, initial, masterarn=master_arn))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "postgres-multi-user", "--no-rotate-immediately",
             "--rotation-rules", "AutomaticallyAfterDays=7")
    code, _, checks = plan(lockstep, "app")
    assert code == 0
    [(status, reason)] = checks["authentication"]
    assert status == "warn"
    assert f"{user}'s password is stored as md5" in reason and "SCRAM-SHA-256" in reason


def test_a_password_policy_the_generator_cannot_meet_fails(lockstep, mariadb_users):
    """simple_password_check demanding 40 characters, where the rotator generates 32: the policy check fails, and so
    does strict_password_validation, which refuses the password hashes the rotation sends."""
    initial = password()
    user = mariadb_users("plan_m_", initial)
    create_secret(lockstep, "app", mariadb_secret(user, initial))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "mariadb-single-user", "--no-rotate-immediately",
             "--rotation-rules", "AutomaticallyAfterDays=7")
    mariadb("INSTALL SONAME 'simple_password_check'")
    try:
        mariadb("SET GLOBAL simple_password_check_minimal_length = 40")
        code, _, checks = plan(lockstep, "app")
    finally:
        mariadb("UNINSTALL SONAME 'simple_password_check'")
    assert code == 1
    reasons = dict((reason.split(" ")[0], (status, reason)) for status, reason in checks["password-policy"])
    status, reason = reasons["simple_password_check"]
    assert status == "fail" and "requires at least 40 characters" in reason and "32 characters" in reason
    status, reason = reasons["strict_password_validation"]
    assert status == "fail" and "refuses a password given as a hash" in reason
    # Without the plugin the same plan passes that check.
    _, _, checks = plan(lockstep, "app")
    assert statuses(checks)["password-policy"] == ["pass"]


def test_a_cron_schedule_lists_its_windows_and_one_that_never_fires_fails(lockstep, pg_roles):
    initial = password()
    user = pg_roles("plan_pg_", initial)
    create_secret(lockstep, "app", postgres_secret(user, initial))
    lockstep("rotate-secret", "--secret-id", "app", "--rotation-lambda-arn", "postgres-single-user", "--no-rotate-immediately",
             "--rotation-rules", '{"ScheduleExpression": "cron(0 4 ? * MON *)", "Duration": "2h"}')
    code, document, checks = plan(lockstep, "app", "--count", "4")
    assert code == 0
    assert document["Schedule"] == "cron(0 4 ? * MON *), Duration 2h"
    [(status, reason)] = checks["schedule"]
    assert status == "pass" and "windows of 2 hours" in reason
    windows = document["Windows"]
    assert len(windows) == 4
    starts = [datetime.datetime.fromisoformat(w["Start"].replace("Z", "+00:00")) for w in windows]
    ends = [datetime.datetime.fromisoformat(w["End"].replace("Z", "+00:00")) for w in windows]
    assert all(s.weekday() == 0 and s.hour == 4 and s.minute == 0 for s in starts), windows
    assert all((e - s) == datetime.timedelta(hours=2) for s, e in zip(starts, ends))
    assert all((b - a) == datetime.timedelta(days=7) for a, b in zip(starts, starts[1:]))
    next_rotation = json.loads(lockstep("describe-secret", "--secret-id", "app").stdout)["NextRotationDate"]
    assert starts[0] <= datetime.datetime.fromisoformat(next_rotation) <= ends[0]

    # February 31st: RotateSecret accepts it, and the plan says it never fires.
    create_secret(lockstep, "feb31", postgres_secret(user, initial))
    lockstep("rotate-secret", "--secret-id", "feb31", "--rotation-lambda-arn", "postgres-single-user", "--no-rotate-immediately",
             "--rotation-rules", '{"ScheduleExpression": "cron(0 0 31 2 ? *)"}')
    code, document, checks = plan(lockstep, "feb31")
    assert code == 1 and document["Windows"] == []
    [(status, reason)] = checks["schedule"]
    assert status == "fail" and "never opens a window" in reason


def test_a_process_rotator_s_manifest_and_runtime_are_checked(lockstep, tmp_path):
    rotators = tmp_path / "rotators"
    (rotators / "good").mkdir(parents=True)
    (rotators / "good" / "rotator.json").write_text(json.dumps({"runtime": "process", "command": ["./rotate.sh"]}))
    script = rotators / "good" / "rotate.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    (rotators / "broken").mkdir()
    (rotators / "broken" / "rotator.json").write_text(json.dumps({"runtime": "python-lambda", "handler": "missing.handler"}))
    env = {"LOCKSTEP_ROTATORS_DIR": str(rotators)}
    for name, expected in (("good", "pass"), ("broken", "fail")):
        lockstep("create-secret", "--name", name, "--secret-string", "{}", extra_env=env)
        lockstep("rotate-secret", "--secret-id", name, "--rotation-lambda-arn", name, "--no-rotate-immediately",
                 "--rotation-rules", "AutomaticallyAfterDays=1", extra_env=env)
        result = lockstep("rotation", "plan", "--secret-id", name, "--output", "json", check=False, extra_env=env)
        assert result.returncode == (0 if expected == "pass" else 1), result.stdout + result.stderr
        [runtime] = [c for c in json.loads(result.stdout)["Checks"] if c["Check"] == "runtime"]
        assert runtime["Status"] == expected, runtime
        assert ("rotate.sh is executable" if expected == "pass" else "missing.py is not in") in runtime["Reason"]
