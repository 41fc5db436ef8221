"""Shared pieces of the EBS block-access tests: an EbsRuntime served over NBD in this process, a
clock tests drive by hand, and raw NBD protocol steps for handshake-level checks."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pycloud.clock import Clock
from pycloud.ebs import nbd_proto as P
from pycloud.ebs.nbd import NbdServer
from pycloud.ebs.runtime import EbsRuntime

GiB = 1 << 30


class ManualClock:
    """A clock that moves only when told (or when a throttled I/O sleeps on it)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@contextmanager
def nbd_runtime(path: Path, time_scale: float = 1.0, clock: Any = None) -> Iterator[tuple[EbsRuntime, int]]:
    """A fresh EbsRuntime under ``path`` on the real-time clock, served over NBD: (runtime, port)."""
    runtime = EbsRuntime(path, "never", clock or Clock(), time_scale)
    server = NbdServer(runtime)
    port = server.start()
    try:
        yield runtime, port
    finally:
        server.stop()
        runtime.close()


# -- raw protocol steps ---------------------------------------------------------------------------


def recv_exact(sock: socket.socket, length: int) -> bytes:
    data = b""
    while len(data) < length:
        chunk = sock.recv(length - len(data))
        assert chunk, f"connection closed after {len(data)} of {length} bytes"
        data += chunk
    return data


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the server has closed the connection (EOF or reset; waits up to 5 s)."""
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def raw_connect(port: int, client_flags: int = P.HANDSHAKE_FLAGS) -> socket.socket:
    """Connected and past the greeting, with ``client_flags`` sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    magic, ihaveopt, flags = struct.unpack(">QQH", recv_exact(sock, 18))
    assert (magic, ihaveopt, flags) == (P.NBDMAGIC, P.IHAVEOPT, P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES)
    sock.sendall(struct.pack(">I", client_flags))
    return sock


def send_option(sock: socket.socket, option: int, data: bytes = b"") -> None:
    sock.sendall(P.OPTION_HEADER.pack(P.IHAVEOPT, option, len(data)) + data)


def option_reply(sock: socket.socket, option: int) -> tuple[int, bytes]:
    """(reply type, data) of the next option reply, checking its magic and echoed option."""
    magic, echoed, reply_type, length = P.OPTION_REPLY.unpack(recv_exact(sock, P.OPTION_REPLY.size))
    assert (magic, echoed) == (P.REPLY_MAGIC, option)
    return reply_type, recv_exact(sock, length)


def info_request(name: str, *infos: int) -> bytes:
    encoded = name.encode()
    return struct.pack(">I", len(encoded)) + encoded + struct.pack(f">H{len(infos)}H", len(infos), *infos)


def replies_until_ack(sock: socket.socket, option: int) -> list[tuple[int, bytes]]:
    """Every reply of an option up to and including its ACK (or its first error)."""
    replies = []
    while True:
        reply = option_reply(sock, option)
        replies.append(reply)
        if reply[0] == P.REP_ACK or P.is_error_reply(reply[0]):
            return replies


def go(sock: socket.socket, name: str) -> tuple[int, int]:
    """NBD_OPT_GO on ``name``: (size, transmission flags); the connection is then in transmission."""
    send_option(sock, P.OPT_GO, info_request(name))
    replies = replies_until_ack(sock, P.OPT_GO)
    assert replies[-1][0] == P.REP_ACK, replies
    exports = [data for kind, data in replies if kind == P.REP_INFO and data[:2] == b"\x00\x00"]
    _, size, flags = P.EXPORT_INFO.unpack(exports[0])
    return size, flags


def request(sock: socket.socket, command: int, cookie: int, offset: int = 0, length: int = 0,
            data: bytes = b"", flags: int = 0) -> None:
    sock.sendall(P.REQUEST.pack(P.REQUEST_MAGIC, flags, command, cookie, offset, length) + data)


def simple_reply(sock: socket.socket, read_length: int = 0) -> tuple[int, int, bytes]:
    """(cookie, error, data); ``read_length`` bytes follow a successful READ's header."""
    magic, error, cookie = P.SIMPLE_REPLY.unpack(recv_exact(sock, P.SIMPLE_REPLY.size))
    assert magic == P.SIMPLE_REPLY_MAGIC
    data = recv_exact(sock, read_length) if read_length and error == 0 else b""
    return cookie, error, data
