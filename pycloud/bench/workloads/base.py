"""The workload base class, its option schema and the size/mix specifications."""

from __future__ import annotations

import os
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pycloud.bench.lanes import Lane
from pycloud.bench.session import Credentials, Session


class SpecError(ValueError):
    """A bad --size, --mix or workload option value."""


_UNITS = {"": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30,
          "kb": 1000, "mb": 1000**2, "gb": 1000**3}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """``4KiB`` → 4096 (B, KiB/K, MiB/M, GiB/G binary; KB, MB, GB decimal; case-insensitive)."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise SpecError(f"bad size {text!r}: expected e.g. 4KiB, 1MiB, 64MiB or 512B")
    return int(float(match.group(1)) * _UNITS[unit])


def parse_sizes(text: str) -> list[tuple[int, float]]:
    """A size or a distribution (``4KiB:80,1MiB:20``) → [(bytes, weight)], weights > 0."""
    out: list[tuple[int, float]] = []
    for piece in text.split(","):
        size, sep, weight = piece.partition(":")
        if not size.strip():
            raise SpecError(f"bad size distribution {text!r}: empty entry")
        try:
            w = float(weight) if sep else 1.0
        except ValueError:
            raise SpecError(f"bad size distribution {text!r}: weight {weight!r} is not a number") from None
        if w <= 0:
            raise SpecError(f"bad size distribution {text!r}: weights must be positive")
        out.append((parse_size(size), w))
    return out


def parse_mix(text: str, operations: tuple[str, ...]) -> list[tuple[str, float]]:
    """``get=80,put=20`` → [(operation, weight)]; operations must be known, weights >= 0, sum > 0."""
    out: dict[str, float] = {}
    for piece in text.split(","):
        name, sep, weight = piece.partition("=")
        name = name.strip().lower()
        if not sep or name not in operations:
            raise SpecError(f"bad mix {text!r}: expected op=weight,... with ops among {', '.join(operations)}")
        if name in out:
            raise SpecError(f"bad mix {text!r}: {name} given twice")
        try:
            out[name] = float(weight)
        except ValueError:
            raise SpecError(f"bad mix {text!r}: weight {weight!r} is not a number") from None
        if out[name] < 0:
            raise SpecError(f"bad mix {text!r}: weights must not be negative")
    if sum(out.values()) <= 0:
        raise SpecError(f"bad mix {text!r}: the weights add up to 0")
    return [(k, v) for k, v in out.items() if v > 0]


def weighted_sequence(choices: list[tuple[Any, float]], count: int, seed: int = 7) -> list[Any]:
    """``count`` draws following the weights, reproducible (seeded)."""
    values = [c for c, _ in choices]
    if len(values) == 1:
        return values * count
    return random.Random(seed).choices(values, weights=[w for _, w in choices], k=count)


def payload(size: int, variant: int = 0) -> bytes:
    """Pre-generated random bytes (ASCII letters and digits, so SQS accepts them too)."""
    if size <= 0:
        return b""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    block = bytes(alphabet[b % 62] for b in os.urandom(min(size, 65536)))
    data = (block * (size // len(block) + 1))[:size]
    return bytes([alphabet[variant % 62]]) + data[1:]


def invocation_id() -> str:
    """A fresh ``amz-sdk-invocation-id`` (SDKs send and sign one per call: it makes every replayed
    request distinct, so a server's verified-signature memo cannot skip verification)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Option:
    """A workload-specific command-line option (``--name``); ``parse`` turns the text into a value."""

    name: str
    parse: Callable[[str], Any]
    default: str
    help: str

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")


class Workload:
    """A benchmark workload.

    Replayable workloads implement ``replay_requests``; dynamic ones (each request depends on an
    earlier answer) set ``replayable = False`` and implement ``run_dynamic``, called once per
    connection thread of every worker process (the instance is pickled to the workers after setup).
    """

    name: ClassVar[str] = ""
    help: ClassVar[str] = ""
    service: ClassVar[str] = ""
    replayable: ClassVar[bool] = True
    options: ClassVar[tuple[Option, ...]] = ()
    replay_count = 0
    """How many distinct requests the driver will ask ``replay_requests`` for (set before setup)."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        settings = settings or {}
        self.settings: dict[str, Any] = {}
        for option in self.options:
            value = settings.get(option.dest)
            self.settings[option.dest] = option.parse(option.default) if value is None else value
        self.url = ""
        self.credentials = Credentials()
        self.tag = uuid.uuid4().hex[:10]

    # -- the contract --------------------------------------------------------------------------

    def resources(self) -> list[str]:
        """What setup creates and teardown deletes (shown before touching a remote endpoint)."""
        return []

    def setup(self, session: Session) -> None:
        """Create what the workload needs; subclasses call ``super().setup(session)`` first."""
        self.url = session.url
        self.credentials = session.credentials

    def replay_requests(self, count: int) -> list[bytes]:
        """``count`` complete, signed, distinct HTTP/1.1 requests (replayable workloads)."""
        raise NotImplementedError(f"{self.name} is not replayable")

    def run_dynamic(self, session: Session, lane: Lane) -> None:
        """One connection's loop (dynamic workloads): ``while lane.take(): ...; lane.record(ns)``."""
        raise NotImplementedError(f"{self.name} is replayable")

    def teardown(self, session: Session) -> None:
        """Delete what setup created (must tolerate a partial setup)."""

    def request_bytes_estimate(self) -> int:
        """Mean size of one replayed request (bounds how many are pre-signed)."""
        sizes = self.settings.get("size") or [(0, 1.0)]
        return 1024 + int(sum(s * w for s, w in sizes) / sum(w for _, w in sizes))

    # -- helpers ---------------------------------------------------------------------------------

    def session(self) -> Session:
        """A new session against the endpoint the workload was set up on."""
        return Session(self.url, self.credentials)

    def resource_name(self) -> str:
        """A unique ``pycloud-bench-...`` name for a bucket or queue."""
        return f"pycloud-bench-{self.name}-{self.tag}"[:63]
