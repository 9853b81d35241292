"""scripts/tcp-forward.py as a test fixture: a database as Lockstep sees it; killing the relay takes the database away,
starting it again on the same port brings it back."""
import os
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Relay:
    def __init__(self, target_port, target_host="127.0.0.1"):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.target_host, self.target_port = target_host, target_port
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["python3", os.path.join(ROOT, "scripts", "tcp-forward.py"), str(self.port), self.target_host, str(self.target_port)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process.stdout.close()
            self.process = None
