"""An NBD server exporting every EBS volume of an :class:`~pycloud.ebs.runtime.EbsRuntime`, so that
real block clients (``nbdinfo``, ``nbdcopy``, ``nbd-client``, qemu) can use pycloud's volumes.

Protocol: the fixed newstyle handshake (``NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES``); options
``NBD_OPT_GO`` / ``NBD_OPT_INFO`` (export size and flags, name, description, block sizes: minimum 1,
preferred 4096, maximum 32 MiB), ``NBD_OPT_EXPORT_NAME``, ``NBD_OPT_LIST`` (one export per volume,
named by its volume id), ``NBD_OPT_ABORT``; anything else, structured replies included, is refused
with ``NBD_REP_ERR_UNSUP`` and the client carries on with simple replies. Transmission: READ, WRITE
(FUA: flushed before the reply), FLUSH, TRIM, WRITE_ZEROES (NO_HOLE honoured) and DISC.

Design: one listening socket on 127.0.0.1 only, an accept thread and one thread per connection,
outside the HTTP server's event loop: requests of a connection are handled in order (a pipelining
client gets its replies in order), each I/O goes through :class:`~pycloud.ebs.blockio.ThrottledVolume`
(the volume's scheduler wait and first-touch penalties are slept in that connection's thread with
sub-millisecond precision; the block store releases the GIL), so a slow volume never stalls the
HTTP endpoint or another connection.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

from pycloud.ebs import nbd_proto as P
from pycloud.ebs.blockio import ThrottledVolume

if TYPE_CHECKING:
    from pycloud.ebs.runtime import EbsRuntime

log = logging.getLogger("pycloud.ebs.nbd")

HOST = "127.0.0.1"
"""Volumes are unauthenticated block devices: they are never offered beyond the loopback interface."""
TRANSMISSION_FLAGS = (
    P.TFLAG_HAS_FLAGS
    | P.TFLAG_SEND_FLUSH
    | P.TFLAG_SEND_FUA
    | P.TFLAG_SEND_TRIM
    | P.TFLAG_SEND_WRITE_ZEROES
    | P.TFLAG_CAN_MULTI_CONN  # a FLUSH on one connection covers writes acknowledged on any
)
HANDSHAKE_TIMEOUT = 30.0
"""Seconds a client may take over the handshake; transmission has no idle limit (devices stay open)."""
_MAX_OPTION = 64 * 1024
"""Largest option payload read (names are at most 4 KiB); larger ones are skipped, NBD_REP_ERR_TOO_BIG."""
_KNOWN_CMD_FLAGS = P.CMD_FLAG_FUA | P.CMD_FLAG_NO_HOLE
_INLINE_REPLY = 64 * 1024
"""Read replies up to this size go out in one send with their header."""


class _Closed(Exception):
    """The peer went away, or the connection must end (protocol violation, abort, disconnect)."""


class NbdServer:
    """Serves the volumes of ``runtime`` over NBD on 127.0.0.1:``port`` (0 picks a free port)."""

    def __init__(self, runtime: EbsRuntime, port: int = 0) -> None:
        self.runtime = runtime
        self.requested_port = port
        self.port = 0
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stopping = False

    def start(self) -> int:
        """Listen and start accepting; returns the port. Raises ``OSError`` (e.g. EADDRINUSE)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, self.requested_port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="nbd-accept", daemon=True)
        self._acceptor.start()
        return self.port

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, end every connection and wait (up to ``timeout`` in all) for their threads."""
        with self._lock:
            self._stopping = True
            connections = list(self._connections.items())
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            except OSError:
                pass
            self._listener.close()
        for sock, _ in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        if self._acceptor is not None:
            self._acceptor.join(timeout)
        for _, thread in connections:  # one deadline for all: a thread may be sleeping a long wait
            thread.join(max(0.0, deadline - time.monotonic()))

    def exports(self) -> list[str]:
        """The export names: every volume id in the store."""
        return sorted(self.runtime.store.list_volumes())

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, peer = self._listener.accept()
            except OSError:
                return  # listener shut down by stop()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve, args=(sock,), name=f"nbd-{peer[1]}", daemon=True)
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self._connections[sock] = thread
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            _Connection(self, sock).run()
        except _Closed:
            pass
        except OSError as exc:
            log.debug("NBD connection ended: %s", exc)
        except Exception:  # a bug must end one connection, never the server
            log.exception("NBD connection failed")
        finally:
            with self._lock:
                self._connections.pop(sock, None)
            sock.close()


class _Connection:
    """One client: handshake, option haggling, then transmission until DISC or EOF."""

    def __init__(self, server: NbdServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.fixed = False
        self.no_zeroes = False
        self.buffer = bytearray(P.PREFERRED_BLOCK)

    # -- socket helpers ---------------------------------------------------------------------------

    def recv_exact(self, length: int) -> memoryview:
        """Exactly ``length`` bytes (a view on the connection's buffer, valid until the next call)."""
        if len(self.buffer) < length:
            self.buffer = bytearray(max(length, 2 * len(self.buffer)))
        view = memoryview(self.buffer)[:length]
        got = 0
        while got < length:
            n = self.sock.recv_into(view[got:], length - got)
            if n == 0:
                raise _Closed
            got += n
        return view

    def discard(self, length: int) -> None:
        """Skip ``length`` incoming bytes in bounded pieces."""
        while length:
            step = min(length, 1 << 20)
            self.recv_exact(step)
            length -= step

    def send(self, *parts: bytes | bytearray | memoryview) -> None:
        self.sock.sendall(b"".join(parts) if len(parts) > 1 else parts[0])

    # -- handshake --------------------------------------------------------------------------------

    def run(self) -> None:
        self.sock.settimeout(HANDSHAKE_TIMEOUT)
        self.send(struct.pack(">QQH", P.NBDMAGIC, P.IHAVEOPT, P.HANDSHAKE_FLAGS))
        (client_flags,) = struct.unpack(">I", self.recv_exact(4))
        if client_flags & ~P.HANDSHAKE_FLAGS:
            raise _Closed  # flags we did not offer: the protocol says to drop the client
        self.fixed = bool(client_flags & P.FLAG_FIXED_NEWSTYLE)
        self.no_zeroes = bool(client_flags & P.FLAG_NO_ZEROES)
        volume = self.negotiate()
        self.sock.settimeout(None)
        log.debug("NBD export %s opened", volume.volume_id)
        self.transmit(volume)

    def negotiate(self) -> ThrottledVolume:
        """Answer options until one selects an export (GO or EXPORT_NAME)."""
        while True:
            magic, option, length = P.OPTION_HEADER.unpack(self.recv_exact(P.OPTION_HEADER.size))
            if magic != P.IHAVEOPT:
                raise _Closed
            if length > _MAX_OPTION:
                self.discard(length)
                self.reply(option, P.REP_ERR_TOO_BIG, b"option payload too large")
                continue
            data = bytes(self.recv_exact(length))
            if option == P.OPT_EXPORT_NAME:
                return self.export_name(data)
            if not self.fixed:
                raise _Closed  # plain newstyle clients may send EXPORT_NAME only
            if option in (P.OPT_GO, P.OPT_INFO):
                volume = self.info(option, data)
                if volume is not None and option == P.OPT_GO:
                    return volume
            elif option == P.OPT_LIST:
                self.list_exports(data)
            elif option == P.OPT_ABORT:
                try:
                    self.reply(option, P.REP_ACK)
                except OSError:
                    pass
                raise _Closed
            elif option == P.OPT_STRUCTURED_REPLY:
                self.reply(option, P.REP_ERR_UNSUP, b"structured replies are not supported; simple replies only")
            else:
                self.reply(option, P.REP_ERR_UNSUP, f"option {option} is not supported".encode())

    def reply(self, option: int, reply_type: int, data: bytes = b"") -> None:
        self.send(P.OPTION_REPLY.pack(P.REPLY_MAGIC, option, reply_type, len(data)), data)

    def open(self, name: str) -> ThrottledVolume | None:
        if not name:
            return None
        try:
            return ThrottledVolume(self.server.runtime, name)
        except OSError:
            return None

    def export_name(self, data: bytes) -> ThrottledVolume:
        """NBD_OPT_EXPORT_NAME: no error reply exists, so an unknown export ends the connection."""
        try:
            volume = self.open(data.decode())
        except UnicodeDecodeError:
            volume = None
        if volume is None:
            raise _Closed
        self.send(struct.pack(">QH", volume.size, TRANSMISSION_FLAGS), b"" if self.no_zeroes else bytes(124))
        return volume

    def list_exports(self, data: bytes) -> None:
        if data:
            self.reply(P.OPT_LIST, P.REP_ERR_INVALID, b"NBD_OPT_LIST takes no data")
            return
        for name in self.server.exports():
            encoded = name.encode()
            self.reply(P.OPT_LIST, P.REP_SERVER, struct.pack(">I", len(encoded)) + encoded)
        self.reply(P.OPT_LIST, P.REP_ACK)

    def info(self, option: int, data: bytes) -> ThrottledVolume | None:
        """NBD_OPT_INFO / NBD_OPT_GO: describe the export (and, for GO, select it)."""
        parsed = _parse_info_request(data)
        if parsed is None:
            self.reply(option, P.REP_ERR_INVALID, b"malformed NBD_OPT_INFO/NBD_OPT_GO request")
            return None
        name, requests = parsed
        volume = self.open(name)
        if volume is None:
            message = "no default export: name a volume id (NBD_OPT_LIST lists them)" if not name else f"no volume {name}"
            self.reply(option, P.REP_ERR_UNKNOWN, message.encode())
            return None
        self.reply(option, P.REP_INFO, P.EXPORT_INFO.pack(P.INFO_EXPORT, volume.size, TRANSMISSION_FLAGS))
        if P.INFO_NAME in requests:
            self.reply(option, P.REP_INFO, struct.pack(">H", P.INFO_NAME) + name.encode())
        if P.INFO_DESCRIPTION in requests:
            self.reply(option, P.REP_INFO, struct.pack(">H", P.INFO_DESCRIPTION) + f"EBS volume {name}".encode())
        # always sent: clients that did not ask learn the limits too (allowed by the protocol)
        self.reply(option, P.REP_INFO, P.BLOCK_SIZE_INFO.pack(P.INFO_BLOCK_SIZE, P.MIN_BLOCK, P.PREFERRED_BLOCK, P.MAX_PAYLOAD))
        self.reply(option, P.REP_ACK)
        return volume

    # -- transmission -----------------------------------------------------------------------------

    def transmit(self, volume: ThrottledVolume) -> None:
        while True:
            magic, flags, command, cookie, offset, length = P.REQUEST.unpack(self.recv_exact(P.REQUEST.size))
            if magic != P.REQUEST_MAGIC:
                raise _Closed
            if command == P.CMD_DISC:
                return
            if command == P.CMD_WRITE and (length > P.MAX_PAYLOAD or flags & ~_KNOWN_CMD_FLAGS):
                self.discard(length)  # keep the stream in step, then refuse
                self.respond(cookie, P.NBD_EINVAL)
                continue
            payload = self.recv_exact(length) if command == P.CMD_WRITE else None
            if command == P.CMD_READ and length <= P.MAX_PAYLOAD and not flags & ~_KNOWN_CMD_FLAGS:
                self.read(volume, cookie, offset, length)
                continue
            self.respond(cookie, self.execute(volume, command, flags, offset, length, payload))

    def execute(self, volume: ThrottledVolume, command: int, flags: int, offset: int, length: int,
                payload: memoryview | None) -> int:
        """Run a command without reply data; returns the NBD error (0: success)."""
        if flags & ~_KNOWN_CMD_FLAGS:
            return P.NBD_EINVAL
        fua = bool(flags & P.CMD_FLAG_FUA)
        try:
            if command == P.CMD_WRITE:
                assert payload is not None
                volume.write(offset, payload, fua)
            elif command == P.CMD_FLUSH:
                volume.flush()
            elif command == P.CMD_TRIM:
                volume.trim(offset, length)
                if fua:
                    volume.flush()
            elif command == P.CMD_WRITE_ZEROES:
                volume.write_zeroes(offset, length, fua, bool(flags & P.CMD_FLAG_NO_HOLE))
            else:
                return P.NBD_EINVAL  # READ over the payload limit, CACHE, BLOCK_STATUS, unknown
        except OSError as exc:
            return _nbd_errno(exc)
        return 0

    def read(self, volume: ThrottledVolume, cookie: int, offset: int, length: int) -> None:
        header = P.SIMPLE_REPLY.size
        if len(self.buffer) < header + length:
            self.buffer = bytearray(header + length)
        view = memoryview(self.buffer)
        try:
            volume.readinto(offset, view[header:header + length])
        except OSError as exc:
            self.respond(cookie, _nbd_errno(exc))
            return
        P.SIMPLE_REPLY.pack_into(self.buffer, 0, P.SIMPLE_REPLY_MAGIC, 0, cookie)
        if length <= _INLINE_REPLY:
            self.sock.sendall(view[:header + length])
        else:
            self.sock.sendall(view[:header])
            self.sock.sendall(view[header:header + length])

    def respond(self, cookie: int, error: int) -> None:
        self.sock.sendall(P.SIMPLE_REPLY.pack(P.SIMPLE_REPLY_MAGIC, error, cookie))


def _parse_info_request(data: bytes) -> tuple[str, set[int]] | None:
    """(export name, requested info types) of an INFO/GO payload, or None when malformed."""
    if len(data) < 6:
        return None
    (name_length,) = struct.unpack_from(">I", data)
    if 4 + name_length + 2 > len(data):
        return None
    try:
        name = data[4:4 + name_length].decode()
    except UnicodeDecodeError:
        return None
    (count,) = struct.unpack_from(">H", data, 4 + name_length)
    rest = data[6 + name_length:]
    if len(rest) != 2 * count:
        return None
    return name, set(struct.unpack(f">{count}H", rest))


def _nbd_errno(exc: OSError) -> int:
    return P.FROM_OS_ERRNO.get(exc.errno or errno.EIO, P.NBD_EIO)
