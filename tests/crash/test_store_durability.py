"""Store durability under SIGKILL: concurrent PutSecretValue / UpdateSecretVersionStage streams, the server killed at
random moments, then restarted. Every write that got a 200 must be there, and the SQLite file must pass
`PRAGMA integrity_check` after every kill.
"""
import os
import random
import signal
import sqlite3
import threading
import time
import uuid

from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from urllib3.exceptions import ProtocolError

from harness import DataDirectory, Server

ROUNDS = int(os.environ.get("LOCKSTEP_DURABILITY_ROUNDS", "6"))
WRITERS = 4
MOVING = "moving"


class Writer:
    """One secret and one thread: a sequential stream of writes, so the last acknowledged one decides the state."""

    def __init__(self, name):
        self.name = name
        self.acknowledged = {}  # version id -> (value, its own label)
        self.unverified = []  # version ids acknowledged since the last check
        self.moving = None  # where MOVING was last acknowledged to be
        self.in_flight = None  # ("put", id, value, label) or ("move", id) when the server died mid-call
        self.count = 0
        self.moves = 0  # acknowledged UpdateSecretVersionStage calls
        self.error = None  # anything but the server going away

    def run(self, client, stop):
        while not stop.is_set():
            self.count += 1
            move = self.count % 3 == 0 and self.acknowledged
            if move:
                target = random.choice(list(self.acknowledged))
                call = ("move", target)
            else:
                version, value = str(uuid.uuid4()), f"value-{uuid.uuid4()}"
                call = ("put", version, value, f"w{self.count}-{version[:8]}")
            self.in_flight = call
            try:
                if move:
                    arguments = {"RemoveFromVersionId": self.moving} if self.moving else {}
                    client.update_secret_version_stage(SecretId=self.name, VersionStage=MOVING,
                                                       MoveToVersionId=call[1], **arguments)
                    self.moving = call[1]
                    self.moves += 1
                else:
                    client.put_secret_value(SecretId=self.name, ClientRequestToken=call[1], SecretString=call[2],
                                            VersionStages=[call[3]])
                    self.acknowledged[call[1]] = (call[2], call[3])
                    self.unverified.append(call[1])
            except (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError, ProtocolError, ConnectionError):
                return  # the server is gone: `in_flight` may or may not have happened
            except Exception as error:
                self.error = error
                return
            self.in_flight = None

    def verify(self, client):
        """Checks every acknowledged put (its version, label and value) and the last acknowledged move; returns lost."""
        lost = []
        labels = {}
        arguments = {"SecretId": self.name, "IncludeDeprecated": True, "MaxResults": 100}
        while True:
            page = client.list_secret_version_ids(**arguments)
            for version in page["Versions"]:
                labels[version["VersionId"]] = set(version.get("VersionStages", []))
            if not page.get("NextToken"):
                break
            arguments["NextToken"] = page["NextToken"]
        for version, (value, label) in self.acknowledged.items():
            if label not in labels.get(version, set()):
                lost.append(f"{self.name} {version} lost its version or label")
        for version in self.unverified:
            if client.get_secret_value(SecretId=self.name, VersionId=version)["SecretString"] != self.acknowledged[version][0]:
                lost.append(f"{self.name} {version} has another value")
        holder = next((v for v, stages in labels.items() if MOVING in stages), None)
        allowed = {self.moving}
        if self.in_flight and self.in_flight[0] == "move":
            allowed.add(self.in_flight[1])
        if holder not in allowed:
            lost.append(f"{self.name}: {MOVING} is on {holder}, acknowledged on {self.moving}")
        # An unacknowledged move that did commit is the new truth; so is an unacknowledged put.
        self.moving = holder
        if self.in_flight and self.in_flight[0] == "put" and self.in_flight[1] in labels:
            self.acknowledged[self.in_flight[1]] = (self.in_flight[2], self.in_flight[3])
        self.unverified, self.in_flight = [], None
        return lost


def integrity(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def test_acknowledged_writes_survive_sigkill(capsys):
    directory = DataDirectory()
    database = os.path.join(directory.data, "lockstep.db")
    writers = [Writer(f"durable/{index}") for index in range(WRITERS)]
    server = Server(directory)
    for writer in writers:
        server.client().create_secret(Name=writer.name, SecretString="initial")
    total_lost, kills = [], 0
    try:
        for _ in range(ROUNDS):
            stop = threading.Event()
            threads = [threading.Thread(target=w.run, args=(server.client(), stop)) for w in writers]
            for thread in threads:
                thread.start()
            time.sleep(random.uniform(0.4, 2.0))
            server.process.send_signal(signal.SIGKILL)  # mid-stream: some calls are in flight
            server.wait_exit(30)
            kills += 1
            stop.set()
            for thread in threads:
                thread.join(60)
            server.stop()
            assert integrity(database) == "ok", "PRAGMA integrity_check failed after SIGKILL"
            server = Server(directory)
            for writer in writers:
                assert writer.error is None, f"{writer.name}: {writer.error!r}"
                total_lost += writer.verify(server.client())
    finally:
        server.stop(signal.SIGKILL)
    assert integrity(database) == "ok"
    puts = sum(len(w.acknowledged) for w in writers)
    moves = sum(w.moves for w in writers)
    with capsys.disabled():
        print(f"\n\nStore durability: {kills} SIGKILLs during {WRITERS} concurrent write streams; "
              f"{puts + moves} acknowledged writes checked ({puts} PutSecretValue, each re-checked after every later "
              f"kill; {moves} UpdateSecretVersionStage, the last of each stream checked), {len(total_lost)} lost; "
              f"PRAGMA integrity_check ok after every kill")
    assert not total_lost, "\n".join(total_lost)
    assert puts > 0 and moves > 0
    directory.remove()
