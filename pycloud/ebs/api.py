"""``open_volume``: an EBS volume as a file-like object, for tests and scripts.

Over NBD (a running pycloud with ``--nbd-port``) or in-process on an
:class:`~pycloud.ebs.runtime.EbsRuntime`; either way every read and write is throttled by the
volume's scheduler and charged its first-touch penalties, as an instance attached to the volume
would see them::

    with open_volume("http://127.0.0.1:4566", "vol-0123456789abcdef0") as vol:
        vol.pwrite(0, b"boot")
        assert vol.pread(0, 4) == b"boot"

Errors are ``OSError`` with the errno NBD reports (``EINVAL``, ``ENOSPC`` past the end, ``EIO``);
an unknown volume is ``FileNotFoundError``.
"""

from __future__ import annotations

import errno
import io
import json
import os
from typing import Any, Protocol
from urllib.parse import urlsplit

from pycloud.ebs.blockio import ThrottledVolume, volume_error
from pycloud.ebs.nbd_client import NbdClient
from pycloud.ebs.runtime import EbsRuntime

NBD_ADMIN_PATH = "/_pycloud/ebs/nbd"
_READ_ALL_CHUNK = 8 * 1024 * 1024


class _Backend(Protocol):
    size: int

    def read(self, offset: int, length: int) -> bytes: ...
    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None: ...
    def flush(self) -> None: ...
    def trim(self, offset: int, length: int) -> None: ...
    def close(self) -> None: ...


class _LocalBackend:
    """Direct calls on the runtime's block store, through the volume's scheduler."""

    def __init__(self, runtime: EbsRuntime, volume_id: str) -> None:
        self.volume = ThrottledVolume(runtime, volume_id)

    @property
    def size(self) -> int:
        return self.volume.size

    def read(self, offset: int, length: int) -> bytes:
        return self.volume.read(offset, length)

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        self.volume.write(offset, data)

    def flush(self) -> None:
        self.volume.flush()

    def trim(self, offset: int, length: int) -> None:
        self.volume.trim(offset, length)

    def close(self) -> None:
        pass


class Volume(io.RawIOBase):
    """A volume as a seekable binary file; ``pread``/``pwrite`` leave the position alone."""

    def __init__(self, backend: _Backend, volume_id: str) -> None:
        super().__init__()
        self._backend = backend
        self.volume_id = volume_id
        self._position = 0

    @property
    def size(self) -> int:
        """The volume's size in bytes."""
        return self._backend.size

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._check_open()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position (past the end is allowed; reads there return b"")."""
        self._check_open()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence {whence}")
        if base + offset < 0:
            raise volume_error(errno.EINVAL, "negative seek position")
        self._position = base + offset
        return self._position

    def pread(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``: short at the end of the volume, as ``os.pread``."""
        self._check_open()
        if offset < 0 or length < 0:
            raise volume_error(errno.EINVAL, "negative offset or length")
        length = max(0, min(length, self.size - offset))
        return self._backend.read(offset, length) if length else b""

    def pwrite(self, offset: int, data: bytes | bytearray | memoryview) -> int:
        """Write all of ``data`` at ``offset``; past the end fails with ``ENOSPC`` (nothing written)."""
        self._check_open()
        self._backend.write(offset, data)
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes from the position (all the rest for -1/None), advancing it."""
        if size is None or size < 0:
            return self.readall()
        data = self.pread(self._position, size)
        self._position += len(data)
        return data

    def readall(self) -> bytes:
        chunks = []
        while chunk := self.read(_READ_ALL_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        """Write at the position, advancing it."""
        written = self.pwrite(self._position, data)
        self._position += written
        return written

    def flush(self) -> None:
        """Everything written so far to stable storage (NBD FLUSH)."""
        if not self.closed:
            self._backend.flush()

    def trim(self, offset: int, length: int) -> None:
        """Discard a range; it reads as zeros afterwards."""
        self._check_open()
        self._backend.trim(offset, length)

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().close()  # flushes
        finally:
            self._backend.close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on a closed volume")

    def __repr__(self) -> str:
        return f"<Volume {self.volume_id} size={self.size if not self.closed else '?'}>"


def _nbd_port_of(endpoint: str) -> int:
    """Ask a running pycloud (its HTTP endpoint) where its NBD server listens."""
    import urllib.request  # only for this path: keeps ``import pycloud.ebs`` light

    with urllib.request.urlopen(endpoint.rstrip("/") + NBD_ADMIN_PATH, timeout=30) as response:
        port = json.loads(response.read()).get("port")
    if not port:
        raise ConnectionRefusedError(errno.ECONNREFUSED, f"{endpoint} runs no NBD server (start it with --nbd-port)")
    return int(port)


def _nbd_address(target: Any) -> tuple[str, int]:
    """(host, port) of the NBD server ``target`` designates."""
    if isinstance(target, int) and not isinstance(target, bool):
        return "127.0.0.1", target
    if isinstance(target, tuple) and len(target) == 2:
        return str(target[0]), int(target[1])
    endpoint = getattr(target, "endpoint", target)  # a PycloudServer
    if isinstance(endpoint, str):
        parts = urlsplit(endpoint if "//" in endpoint else f"nbd://{endpoint}")
        if parts.scheme in ("http", "https"):
            return parts.hostname or "127.0.0.1", _nbd_port_of(endpoint)
        if parts.scheme == "nbd" and parts.port:
            return parts.hostname or "127.0.0.1", parts.port
    raise TypeError(
        "open_volume needs an EbsRuntime, an NBD port, (host, port), 'nbd://host:port' or a pycloud "
        f"endpoint 'http://host:port', not {target!r}"
    )


class _NbdBackend:
    """The same calls as NBD requests."""

    def __init__(self, host: str, port: int, volume_id: str) -> None:
        self.client = NbdClient(host, port, volume_id)
        self.size = self.client.size

    def read(self, offset: int, length: int) -> bytes:
        return self.client.read(offset, length)

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        self.client.write(offset, data)

    def flush(self) -> None:
        self.client.flush()

    def trim(self, offset: int, length: int) -> None:
        self.client.trim(offset, length)

    def close(self) -> None:
        self.client.close()


def open_volume(endpoint_or_runtime: Any, volume_id: str) -> Volume:
    """Open ``volume_id`` as a file-like :class:`Volume`.

    ``endpoint_or_runtime``: an :class:`EbsRuntime` (in-process, no network), or a pycloud serving
    NBD: its HTTP endpoint (``"http://127.0.0.1:4566"``, or a ``PycloudServer``; the NBD port is
    asked from the admin API), its NBD port, ``(host, port)`` or ``"nbd://host:port"``.
    Raises ``FileNotFoundError`` for an unknown volume.
    """
    if not volume_id or not isinstance(volume_id, str):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), volume_id)
    if isinstance(endpoint_or_runtime, EbsRuntime):
        return Volume(_LocalBackend(endpoint_or_runtime, volume_id), volume_id)
    host, port = _nbd_address(endpoint_or_runtime)
    return Volume(_NbdBackend(host, port, volume_id), volume_id)
