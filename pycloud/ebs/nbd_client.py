"""A small pure-Python NBD client (fixed newstyle, NBD_OPT_GO, simple replies): enough for
:func:`pycloud.ebs.open_volume` and the tests to use pycloud's NBD server without extra packages.

Requests can be pipelined: :meth:`NbdClient.submit` sends one and returns its cookie,
:meth:`NbdClient.receive` reads the next reply. The convenience methods (``read``, ``write``...)
send one request and wait for its reply, splitting data transfers at the server's maximum payload.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass

from pycloud.ebs import nbd_proto as P


class NbdError(OSError):
    """The server refused an option (``reply_type`` is the NBD_REP_ERR_* value), broke protocol or
    hung up (an ``OSError``, so that callers of the file-like API catch one kind of I/O failure)."""

    def __init__(self, message: str, reply_type: int = 0) -> None:
        super().__init__(message)
        self.reply_type = reply_type


def _recv_exact(sock: socket.socket, length: int) -> bytes:
    buffer = bytearray(length)
    view = memoryview(buffer)
    got = 0
    while got < length:
        n = sock.recv_into(view[got:], length - got)
        if n == 0:
            raise NbdError("the NBD server closed the connection")
        got += n
    return bytes(buffer)


def _handshake(sock: socket.socket) -> None:
    magic, ihaveopt, flags = struct.unpack(">QQH", _recv_exact(sock, 18))
    if magic != P.NBDMAGIC or ihaveopt != P.IHAVEOPT:
        raise NbdError("not a newstyle NBD server")
    if not flags & P.FLAG_FIXED_NEWSTYLE:
        raise NbdError("the NBD server does not speak the fixed newstyle handshake")
    sock.sendall(struct.pack(">I", flags & P.HANDSHAKE_FLAGS))


def _send_option(sock: socket.socket, option: int, data: bytes = b"") -> None:
    sock.sendall(P.OPTION_HEADER.pack(P.IHAVEOPT, option, len(data)) + data)


def _option_reply(sock: socket.socket, option: int) -> tuple[int, bytes]:
    magic, echoed, reply_type, length = P.OPTION_REPLY.unpack(_recv_exact(sock, P.OPTION_REPLY.size))
    if magic != P.REPLY_MAGIC or echoed != option:
        raise NbdError("malformed option reply")
    data = _recv_exact(sock, length)
    if P.is_error_reply(reply_type):
        raise NbdError(data.decode(errors="replace") or f"option {option} refused ({reply_type:#x})", reply_type)
    return reply_type, data


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def list_exports(host: str, port: int, timeout: float = 30.0) -> list[str]:
    """The export names the server offers (NBD_OPT_LIST), then NBD_OPT_ABORT."""
    with _connect(host, port, timeout) as sock:
        _handshake(sock)
        _send_option(sock, P.OPT_LIST)
        names = []
        while True:
            reply_type, data = _option_reply(sock, P.OPT_LIST)
            if reply_type == P.REP_ACK:
                break
            if reply_type == P.REP_SERVER:
                (length,) = struct.unpack_from(">I", data)
                names.append(data[4:4 + length].decode())
        _send_option(sock, P.OPT_ABORT)
    return names


@dataclass
class _Pending:
    command: int
    length: int


class NbdClient:
    """One connection to one export, selected with NBD_OPT_GO."""

    def __init__(self, host: str, port: int, export: str, timeout: float = 30.0) -> None:
        """Raises ``FileNotFoundError`` for an unknown export, ``NbdError`` for other refusals."""
        self.export = export
        self.sock = _connect(host, port, timeout)
        self._cookie = 0
        self._pending: dict[int, _Pending] = {}
        self.block_sizes = (1, P.PREFERRED_BLOCK, P.MAX_PAYLOAD)
        try:
            _handshake(self.sock)
            self._go(export)
        except NbdError as exc:
            self.sock.close()
            if exc.reply_type == P.REP_ERR_UNKNOWN:
                raise FileNotFoundError(2, f"no NBD export {export!r}: {exc}") from None
            raise
        except BaseException:
            self.sock.close()
            raise
        self.sock.settimeout(None)  # transmission waits may be long on a throttled volume

    def _go(self, export: str) -> None:
        name = export.encode()
        wanted = (P.INFO_BLOCK_SIZE,)
        data = struct.pack(">I", len(name)) + name + struct.pack(f">H{len(wanted)}H", len(wanted), *wanted)
        _send_option(self.sock, P.OPT_GO, data)
        size = flags = None
        while True:
            reply_type, payload = _option_reply(self.sock, P.OPT_GO)
            if reply_type == P.REP_ACK:
                break
            if reply_type != P.REP_INFO or len(payload) < 2:
                continue
            (info,) = struct.unpack_from(">H", payload)
            if info == P.INFO_EXPORT:
                _, size, flags = P.EXPORT_INFO.unpack(payload)
            elif info == P.INFO_BLOCK_SIZE:
                self.block_sizes = P.BLOCK_SIZE_INFO.unpack(payload)[1:]
        if size is None or flags is None:
            raise NbdError("the server did not describe the export")
        self.size: int = size
        self.transmission_flags: int = flags

    # -- pipelined requests -----------------------------------------------------------------------

    def submit(self, command: int, offset: int = 0, length: int = 0, data: bytes | memoryview = b"",
               flags: int = 0) -> int:
        """Send one request without waiting; returns its cookie."""
        self._cookie += 1
        cookie = self._cookie
        if command == P.CMD_WRITE:
            length = len(data)
        header = P.REQUEST.pack(P.REQUEST_MAGIC, flags, command, cookie, offset, length)
        if command == P.CMD_WRITE and len(data) > 64 * 1024:
            self.sock.sendall(header)
            self.sock.sendall(data)
        else:
            self.sock.sendall(header + bytes(data) if command == P.CMD_WRITE else header)
        if command != P.CMD_DISC:
            self._pending[cookie] = _Pending(command, length)
        return cookie

    def receive(self) -> tuple[int, int, bytes]:
        """The next reply: (cookie, NBD error, data of a successful read)."""
        magic, error, cookie = P.SIMPLE_REPLY.unpack(_recv_exact(self.sock, P.SIMPLE_REPLY.size))
        if magic != P.SIMPLE_REPLY_MAGIC:
            raise NbdError(f"bad reply magic {magic:#x}")
        pending = self._pending.pop(cookie, None)
        if pending is None:
            raise NbdError(f"reply to an unknown request {cookie}")
        data = b""
        if pending.command == P.CMD_READ and error == 0:
            data = _recv_exact(self.sock, pending.length)
        return cookie, error, data

    def _call(self, command: int, offset: int = 0, length: int = 0, data: bytes | memoryview = b"",
              flags: int = 0) -> bytes:
        cookie = self.submit(command, offset, length, data, flags)
        got, error, payload = self.receive()
        if got != cookie:
            raise NbdError(f"reply {got} out of order (expected {cookie})")
        if error:
            code = P.TO_OS_ERRNO.get(error, error)
            raise OSError(code, f"{os.strerror(code)}: NBD command {command} at {offset}+{length or len(data)}")
        return payload

    # -- one request at a time --------------------------------------------------------------------

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (split at the server's maximum payload)."""
        limit = self.block_sizes[2]
        if length <= limit:
            return self._call(P.CMD_READ, offset, length)
        return b"".join(self._call(P.CMD_READ, offset + done, min(limit, length - done)) for done in range(0, length, limit))

    def write(self, offset: int, data: bytes | bytearray | memoryview, fua: bool = False) -> None:
        """Write ``data`` at ``offset``; ``fua``: durable when this returns."""
        view = memoryview(data)
        limit = self.block_sizes[2]
        flags = P.CMD_FLAG_FUA if fua else 0
        if len(view) == 0:
            self._call(P.CMD_WRITE, offset, 0, b"", flags)
        for done in range(0, len(view), limit):
            self._call(P.CMD_WRITE, offset + done, 0, view[done:done + limit], flags)

    def flush(self) -> None:
        self._call(P.CMD_FLUSH)

    def trim(self, offset: int, length: int) -> None:
        self._call(P.CMD_TRIM, offset, length)

    def write_zeroes(self, offset: int, length: int, no_hole: bool = False, fua: bool = False) -> None:
        flags = (P.CMD_FLAG_NO_HOLE if no_hole else 0) | (P.CMD_FLAG_FUA if fua else 0)
        self._call(P.CMD_WRITE_ZEROES, offset, length, flags=flags)

    def close(self) -> None:
        """NBD_CMD_DISC, then close the socket."""
        if self.sock.fileno() < 0:
            return
        try:
            self.submit(P.CMD_DISC)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> NbdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
