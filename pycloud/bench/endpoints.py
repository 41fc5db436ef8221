"""Endpoints under test: ``--endpoint [label=]URL`` parsing, the loopback rule, and ``--spawn``
(a pycloud or moto server started on a free port for the run, stopped after)."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SPAWNABLE = ("pycloud", "moto")


class EndpointError(ValueError):
    """A bad --endpoint/--spawn, a refused remote endpoint or a server that did not start."""


@dataclass
class Endpoint:
    """One endpoint of a run; ``pid`` is known when we started the server ourselves."""

    label: str
    url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_path: str | None = field(default=None, repr=False)

    @property
    def hostname(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.hostname)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None


def is_loopback(hostname: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address)."""
    host = hostname.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def parse_endpoint(spec: str) -> Endpoint:
    """``[label=]URL`` → Endpoint; the URL must be http(s)://host[:port] with no path or query."""
    label = ""
    head, sep, rest = spec.partition("=")
    if sep and "://" not in head:
        label, spec = head.strip(), rest.strip()
        if not label:
            raise EndpointError(f"--endpoint {head}={rest}: empty label")
    parts = urlsplit(spec)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"--endpoint {spec!r}: expected http://host[:port] or https://host[:port]")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise EndpointError(f"--endpoint {spec!r}: {exc}") from exc
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EndpointError(f"--endpoint {spec!r}: give the endpoint's root URL, without a path or query")
    url = f"{parts.scheme}://{parts.netloc}"
    return Endpoint(label=label or parts.netloc, url=url)


def check_remote(endpoints: list[Endpoint], allow_remote: bool) -> list[Endpoint]:
    """The non-loopback endpoints; raises EndpointError if there are some and ``allow_remote`` is off."""
    remote = [e for e in endpoints if not e.loopback]
    if remote and not allow_remote:
        names = ", ".join(e.url for e in remote)
        raise EndpointError(
            f"refusing non-loopback endpoint(s) {names}: a benchmark creates and deletes resources and "
            "sends a lot of traffic; pass --allow-remote if you mean it"
        )
    return remote


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_command(kind: str, port: int) -> list[str]:
    """The command line that starts a ``kind`` server on ``port`` (EndpointError if unavailable)."""
    if kind == "pycloud":
        # -P keeps the working directory off sys.path: the installed package is what runs
        return [sys.executable, "-P", "-m", "pycloud", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--ephemeral"]
    if kind == "moto":
        if importlib.util.find_spec("moto") is not None and importlib.util.find_spec("moto.server") is not None:
            return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        exe = shutil.which("moto_server")
        if exe:
            return [exe, "-H", "127.0.0.1", "-p", str(port)]
        raise EndpointError("--spawn moto: moto is not installed (pip install 'moto[server]' or 'pycloud[bench]')")
    raise EndpointError(f"--spawn {kind!r}: expected one of {', '.join(SPAWNABLE)}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def spawn(kind: str, label: str | None = None, timeout: float = 60.0) -> Endpoint:
    """Start a ``kind`` server on a free loopback port and wait until it answers HTTP."""
    command = spawn_command(kind, port := free_port())
    log = tempfile.NamedTemporaryFile(prefix=f"pycloud-bench-{kind}-", suffix=".log", delete=False)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    log.close()
    endpoint = Endpoint(label=label or kind, url=f"http://127.0.0.1:{port}", process=process, log_path=log.name)
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            output = _read_log(log.name)
            stop(endpoint)
            raise EndpointError(f"--spawn {kind}: the server did not start ({' '.join(command)}):\n{output}")
        time.sleep(0.05)
    return endpoint


def _read_log(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]
    except OSError:
        return ""


def stop(endpoint: Endpoint, timeout: float = 10.0) -> None:
    """Stop a spawned server (SIGTERM, then SIGKILL) and remove its log; no-op for others."""
    process = endpoint.process
    if process is not None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        endpoint.process = None
    if endpoint.log_path:
        try:
            os.unlink(endpoint.log_path)
        except OSError:
            pass
        endpoint.log_path = None
