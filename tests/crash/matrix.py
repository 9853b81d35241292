"""One cell of the crash matrix: a fault point × engine × strategy (× kill or fail), run against a real `lockstep serve`
and a real database.

The promise under test (issue 6): at every instant some credential Lockstep serves (AWSCURRENT, or AWSPENDING while
a rotation is in flight) logs in; after a restart the rotation completes or is cleanly abandoned: the final AWSCURRENT
logs in, AWSPENDING is gone, AWSPREVIOUS is where AWS would leave it, and the lifecycle events say what happened.
"""
import dataclasses
import json
import re
import signal
import time

from harness import DataDirectory, Database, Server, lifecycle_events, random_word

# The fault points (Sources/LockstepCore/Faults/FaultInjection.swift), in the order a rotation reaches them.
STEP_POINTS = [
    f"{step}.{record}.{when}"
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret")
    for record in ("start", "success")
    for when in ("before", "after")
]
POINTS = (STEP_POINTS[:-1] + ["finishSecret.labels", STEP_POINTS[-1]]
          + ["database.password.before", "database.commit.unanswered", "database.password.after", "audit.transaction"])
ENGINES = ("postgres", "mariadb")
STRATEGIES = ("single-user", "multi-user")
ACTIONS = ("kill", "fail")

# Short clocks so that the matrix fits in CI: a killed runner's lease lasts 3 s (a restart on the same machine frees
# it at once anyway), a failed step is retried after 1-2 s (long enough to look at the state in between).
SERVE_ARGS = ["--rotation-lease", "3", "--retry-base-delay", "2", "--max-attempts", "4",
              "--database-connect-timeout", "3", "--log-level", "info"]
SECRET = "crash/db"


@dataclasses.dataclass
class Cell:
    point: str  # a fault point, or "none" for the clean baseline
    action: str  # kill | fail
    engine: str
    strategy: str
    nth: int = 1
    # False: the killed server is restarted on its data directory. True: two nodes on one PostgreSQL store; the
    # second, running all along, takes the killed node's rotation over once its lease expires.
    takeover: bool = False

    @property
    def fault(self):
        return None if self.point == "none" else f"{self.point}:{self.action}:{self.nth}"

    @property
    def label(self):
        point = self.point if self.point != "store.transaction" else f"store.transaction#{self.nth}"
        return f"{point}:{self.action}" if self.point != "none" else "none (clean run)"


@dataclasses.dataclass
class Result:
    cell: Cell
    fired: bool = False
    before: str = "-"  # which labelled credentials logged in before the restart
    before_ok: bool = False
    after: str = "-"
    after_ok: bool = False
    outcome: str = "-"
    trail: str = "-"
    seconds: float = 0.0
    problems: list = dataclasses.field(default_factory=list)
    store_hits: int = 0  # clean runs: how many store write transactions the rotation made

    @property
    def passed(self):
        return not self.problems


class Versions:
    """Labels and values of the rotated secret, read from a running server (boto3) or offline (the local CLI)."""

    def __init__(self, server=None, directory=None):
        self.server, self.directory = server, directory

    def stages(self):
        if self.server:
            versions = self.server.client().list_secret_version_ids(SecretId=SECRET, IncludeDeprecated=True)["Versions"]
        else:
            versions = self.directory.cli_json("list-secret-version-ids", "--secret-id", SECRET,
                                               "--include-deprecated")["Versions"]
        return {v["VersionId"]: sorted(v.get("VersionStages", [])) for v in versions}

    def value(self, stage):
        """The JSON at `stage`, or None when there is none (AWSPENDING's placeholder has no value)."""
        if self.server:
            try:
                text = self.server.client().get_secret_value(SecretId=SECRET, VersionStage=stage)["SecretString"]
            except self.server.client().exceptions.ResourceNotFoundException:
                return None
        else:
            result = self.directory.cli("get-secret-value", "--secret-id", SECRET, "--version-stage", stage,
                                        "--query", "SecretString", "--output", "text", check=False)
            if result.returncode != 0:
                return None
            text = result.stdout.strip()
        return json.loads(text)


def holder(stages, label):
    return next((v for v, labels in stages.items() if label in labels), None)


def check_serving(db, versions):
    """The invariant at one instant: AWSCURRENT, or AWSPENDING, logs in. Returns (held, description)."""
    working = []
    for stage in ("AWSCURRENT", "AWSPENDING"):
        value = versions.value(stage)
        if value is not None and db.logs_in(value):
            working.append("current" if stage == "AWSCURRENT" else "pending")
    return bool(working), "+".join(working) or "none"


def run_cell(cell, databases):
    started = time.time()
    result = Result(cell)
    db = databases[cell.engine]
    store = databases["postgres"].create_store() if cell.takeover else None
    directory = DataDirectory(store=store)
    user, password = "crash_" + random_word(10), random_word(24)
    servers = []
    try:
        db.create_user(user, password)
        rotator = f"{cell.engine}-{cell.strategy}"
        extra = {}
        if cell.strategy == "multi-user":
            master = directory.cli_json("create-secret", "--name", "crash/master", "--secret-string",
                                        db.secret_json(db.admin, db.admin_password))
            extra["masterarn"] = master["ARN"]
        created = directory.cli_json("create-secret", "--name", SECRET, "--secret-string",
                                     db.secret_json(user, password, **extra))
        original = created["VersionId"]
        if cell.takeover:
            # The node that will take over runs from the start, but frozen, so that the rotation is the first's.
            second = Server(directory, *SERVE_ARGS, name="second", node="node-b")
            servers.append(second)
            freeze_idle(second, databases["postgres"], store)
        # Queued in the store; the server's scheduler picks it up as it starts, with the fault armed.
        queued = directory.cli("rotate-secret", "--secret-id", SECRET, "--rotation-lambda-arn", rotator,
                               "--rotation-rules", "AutomaticallyAfterDays=30")
        token = json.loads(queued.stdout)["VersionId"]

        first = Server(directory, *SERVE_ARGS, fault=cell.fault or "store.transaction:fail:1000000", name="first")
        servers.append(first)
        if cell.point == "none":
            result.fired = True
            wait_finished(first, token, 30)
            result.store_hits = len(
                [line for line in first.log().splitlines() if "reached store.transaction" in line])
            result.before_ok, result.before = check_serving(db, Versions(server=first))
        elif cell.action == "kill":
            code = first.wait_exit(30)
            result.fired = code == -signal.SIGKILL and f"killing the process at {cell.point}" in first.log()
            if code is None:
                first.stop(signal.SIGKILL)
            if not result.fired:
                result.problems.append(f"the fault did not fire (exit {code})")
            result.before_ok, result.before = check_serving(db, Versions(directory=directory))
        else:
            result.fired = first.wait_log(f"failing the call at {cell.point.replace('.', '[.]')}", 30)
            if not result.fired:
                result.problems.append("the fault did not fire")
            if first.running:
                # Frozen just after the failure, so that the labels and the logins are read at one instant.
                first.process.send_signal(signal.SIGSTOP)
                result.before_ok, result.before = check_serving(db, Versions(directory=directory))
                first.process.send_signal(signal.SIGCONT)
                # The same process recovers on its own: a failed call is retried.
                if not wait_finished(first, token, 30):
                    result.problems.append("the process that saw the failure did not finish the rotation")
            else:
                # A store that fails during start-up stops the server (it can't serve without one).
                result.before_ok, result.before = check_serving(db, Versions(directory=directory))
                result.before += f" (server exited {first.process.returncode})"
        if not result.before_ok:
            result.problems.append("no labelled credential logged in before the restart")
        first.stop(signal.SIGKILL if first.running and cell.action == "kill" else signal.SIGTERM)

        if cell.takeover:
            second.process.send_signal(signal.SIGCONT)
        else:
            second = Server(directory, *SERVE_ARGS, name="second")
            servers.append(second)
        if second.url is None:
            result.problems.append("the server did not restart")
            return result
        if not wait_finished(second, token, 40):
            result.problems.append("the rotation did not finish after the restart: "
                                   + directory.cli("rotation", "status", "--secret-id", SECRET, check=False).stdout)
        versions = Versions(server=second)
        stages = versions.stages()
        current, previous, pending = (holder(stages, label) for label in ("AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"))
        if current == token:
            result.outcome = "completed"
        elif current == original and pending is None:
            result.outcome = "abandoned"
        else:
            result.outcome = f"stuck ({stages})"
            result.problems.append("the rotation neither completed nor was abandoned")
        checks = []
        login = db.login(versions.value("AWSCURRENT"))
        checks.append(f"current {login}")
        if login != "reads":
            result.problems.append(f"the final AWSCURRENT does not work ({login})")
        if pending is not None:
            result.problems.append("AWSPENDING is still attached")
        if result.outcome == "completed":
            # AWS moves AWSPREVIOUS to the version that lost AWSCURRENT.
            if previous != original:
                result.problems.append(f"AWSPREVIOUS is on {previous}, not on the previous AWSCURRENT {original}")
            if stages.get(token) != ["AWSCURRENT"]:
                result.problems.append(f"the new version carries {stages.get(token)}")
            if cell.strategy == "multi-user":
                # Alternating users: the previous user keeps working (that is the strategy's point).
                previous_login = db.login(versions.value("AWSPREVIOUS"))
                checks.append(f"previous {previous_login}")
                if previous_login != "reads":
                    result.problems.append(f"AWSPREVIOUS (the other user) does not work ({previous_login})")
        result.after = ", ".join(checks)
        result.after_ok = login == "reads" and pending is None
        result.trail = check_trail(result, [queued.stderr] + [s.log() for s in sorted(servers, key=lambda s: s.log_path)], token)
        if cell.takeover and result.outcome == "completed":
            # Which node finished it (check_trail demands exactly one RotationSucceeded): the second, unless the
            # first was killed only after its last step.
            second_finished = any(name == "RotationSucceeded" and version == token for name, version in lifecycle_events(second.log()))
            result.outcome += " by " + ("node-b" if second_finished else "the first node")
        return result
    except Exception as error:  # a harness failure is a failed cell, with its reason
        result.problems.append(f"{type(error).__name__}: {error}")
        return result
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGCONT)
            server.stop(signal.SIGKILL)
        db.drop_users(user + "_clone", user)
        if store:
            databases["postgres"].drop_store(store)
        if result.passed:
            directory.remove()
        else:
            result.problems.append(f"logs kept in {directory.path}")
        result.seconds = time.time() - started


def freeze_idle(server, postgres, store):
    """Stops `server` (SIGSTOP) at an instant when none of its store connections is inside a transaction, so that
    while frozen it holds no lock another node would wait for."""
    database = store.rsplit("/", 1)[1]
    busy = (f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid() "
            "AND state <> 'idle'")
    deadline = time.time() + 30
    while time.time() < deadline:
        if postgres.run(busy) == "0":
            server.process.send_signal(signal.SIGSTOP)
            if postgres.run(busy) == "0":
                return
            server.process.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError("the second node's store connections never went idle")


def wait_finished(server, token, timeout):
    """Waits until `token`'s rotation is over: AWSPENDING gone (completed or abandoned). False on timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline and server.running:
        try:
            stages = Versions(server=server).stages()
            if holder(stages, "AWSPENDING") is None:
                return True
        except Exception:
            pass  # the server may be mid-start
        time.sleep(0.2)
    return False


def check_trail(result, logs, token):
    """The lifecycle events of the run (the CLI that queued it, then each server): the rotation started and succeeded
    exactly once each, and nothing says it failed."""
    events = [name for log in logs for name, version in lifecycle_events(log) if version == token]
    if events.count("RotationStarted") != 1:
        result.problems.append(f"the events show {events.count('RotationStarted')} RotationStarted")
    trail = "→".join(name.removeprefix("Rotation") for name in events) or "none"
    # Between them, what the engine logged: failed steps it retried, and a dead runner's rotation resumed at once.
    retried = [m.group(1) for log in logs for m in re.finditer(r"step=(\w+)[^\n]*rotation step failed", log)]
    resumed = any("resuming rotations of a runner that died" in log for log in logs)
    notes = ([f"{len(retried)} step failure(s) retried"] if retried else []) + (["lease freed"] if resumed else [])
    if notes:
        trail += f" ({', '.join(notes)})"
    if result.outcome == "completed" and events.count("RotationSucceeded") != 1:
        result.problems.append(f"the events show {events.count('RotationSucceeded')} RotationSucceeded")
    if result.outcome == "abandoned" and "RotationAbandoned" not in events:
        result.problems.append("no RotationAbandoned event")
    if "RotationFailed" in events:
        result.problems.append("a RotationFailed event for a rotation that recovered")
    return trail
