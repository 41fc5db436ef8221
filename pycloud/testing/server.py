"""A real ``pycloud serve`` subprocess on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

_READY = re.compile(r"listening on (http://[^\s]+)")


class PycloudServer:
    """Start/stop a pycloud server process; use as a context manager or call start()/stop().

    ``args`` are extra ``pycloud serve`` flags; by default state is ephemeral.
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        ephemeral: bool = True,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.args = list(args)
        self.cwd = cwd
        if ephemeral and "--ephemeral" not in self.args and "--data-dir" not in self.args:
            self.args.append("--ephemeral")
        self.env = env
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.output: list[str] = []

    def start(self, timeout: float = 30.0) -> PycloudServer:
        """Launch the server and wait until it answers; raises RuntimeError if it does not start.

        ``-P`` keeps the working directory off sys.path, so the installed package is what runs.
        """
        cmd = [sys.executable, "-P", "-m", "pycloud", "serve", "--port", "0", *self.args]
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=self.cwd
        )
        found = threading.Event()

        def pump() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                match = _READY.search(line)
                if match and not found.is_set():
                    self.endpoint = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=pump, daemon=True).start()
        if not found.wait(timeout) or not self.endpoint:
            self.stop()
            raise RuntimeError("pycloud did not start:\n" + "".join(self.output))
        return self

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin API (``/_pycloud/...``) and return its JSON answer."""
        import urllib.request  # lazily: the plugin loads in every pytest run where pycloud is installed

        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.endpoint + path, method=method, data=data)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self.admin("POST", "/_pycloud/reset")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.admin("POST", "/_pycloud/clock/advance", {"seconds": seconds})

    def client(self, service: str, region: str = "us-east-1", access_key: str = "test", secret_key: str = "test", **kwargs: Any) -> Any:
        """A boto3 client bound to this server."""
        import boto3
        from botocore.config import Config

        config = kwargs.pop("config", None) or Config(retries={"max_attempts": 1, "mode": "standard"})
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
            **kwargs,
        )

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the server (graceful shutdown) and wait; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the server (crash tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> PycloudServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
