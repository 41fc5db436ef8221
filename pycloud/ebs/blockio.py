"""Throttled block I/O on one volume of an :class:`~pycloud.ebs.runtime.EbsRuntime`: the path every
block-level client takes (the NBD server, :func:`pycloud.ebs.open_volume` in-process).

Each read or write first asks the volume's ``VolumeScheduler`` how long it must wait and sleeps
that long, then runs on the ``BlockStore`` (whose calls release the GIL), then sleeps the
first-touch penalty of every lazily restored block it hydrated. The scheduler runs on the virtual
clock (``EbsRuntime.now``), which moves with real time, so a wait is real seconds; advancing the
virtual clock through the admin API counts as idle time (credits refill) and never shortens a wait
already being slept. FLUSH and TRIM move no data and are not throttled. A volume EC2 has not
configured is not throttled either.

Failures are ``OSError`` with the errno NBD would report: ``EINVAL`` (bad range for a read or
trim, bad argument), ``ENOSPC`` (a write past the end), ``EIO`` (volume gone, store failure),
``ESHUTDOWN`` (store closed).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pycloud._core import BlockStoreError

if TYPE_CHECKING:
    from pycloud.ebs.runtime import EbsRuntime

_ZERO_CHUNK = 4 * 1024 * 1024
"""WRITE_ZEROES that must allocate (NO_HOLE) writes zeros in pieces of this size."""


def volume_error(code: int, detail: str) -> OSError:
    """An ``OSError`` carrying ``code`` (an ``errno`` value) and a readable message."""
    return OSError(code, f"{os.strerror(code)}: {detail}")


def _store_error(exc: BlockStoreError, out_of_range: int, volume_id: str) -> OSError:
    code = getattr(exc, "code", "")
    if code == "OutOfRange":
        return volume_error(out_of_range, f"range beyond the end of {volume_id}")
    if code == "InvalidArgument":
        return volume_error(errno.EINVAL, str(exc))
    if code == "Closed":
        return volume_error(errno.ESHUTDOWN, "the block store is closed")
    if code == "NoSuchVolume":
        return volume_error(errno.EIO, f"volume {volume_id} no longer exists")
    return volume_error(errno.EIO, str(exc))


class ThrottledVolume:
    """Reads and writes one volume as an EBS volume of its configuration would serve them."""

    def __init__(self, runtime: EbsRuntime, volume_id: str, sleep: Callable[[float], None] = time.sleep) -> None:
        """Raises ``FileNotFoundError`` if the store has no such volume. ``sleep`` waits real
        seconds (a test passes one that advances its own clock instead)."""
        self.runtime = runtime
        self.volume_id = volume_id
        self._sleep = sleep
        self._size = self._fetch_size()

    def _fetch_size(self) -> int:
        try:
            return int(self.runtime.store.volume_info(self.volume_id)["size"])
        except BlockStoreError as exc:
            if getattr(exc, "code", "") == "NoSuchVolume":
                raise FileNotFoundError(errno.ENOENT, f"no volume {self.volume_id}") from None
            raise _store_error(exc, errno.EINVAL, self.volume_id) from None

    @property
    def size(self) -> int:
        """The volume's size in bytes (refreshed when an I/O reaches past the last one seen, so
        a volume grown by ModifyVolume shows its new size)."""
        return self._size

    def refresh_size(self) -> int:
        """Re-read the size from the store."""
        self._size = self._fetch_size()
        return self._size

    # -- data -------------------------------------------------------------------------------------

    def readinto(self, offset: int, buffer: memoryview) -> None:
        """Fill ``buffer`` from ``offset`` (the whole range must lie inside the volume)."""
        length = len(buffer)
        self._check_range(offset, length, errno.EINVAL)
        self._throttle(offset, length, False)
        if length == 0:
            return
        try:
            touches = self.runtime.store.readinto(self.volume_id, offset, buffer)
        except BlockStoreError as exc:
            raise _store_error(exc, errno.EINVAL, self.volume_id) from None
        self._first_touch(touches)

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``."""
        buffer = bytearray(length)
        self.readinto(offset, memoryview(buffer))
        return bytes(buffer)

    def write(self, offset: int, data: bytes | bytearray | memoryview, fua: bool = False) -> None:
        """Write ``data`` at ``offset``; ``fua``: on stable storage before returning."""
        length = len(data)
        self._check_range(offset, length, errno.ENOSPC)
        self._throttle(offset, length, True)
        if length:
            try:
                touches = self.runtime.store.write(self.volume_id, offset, data)
            except BlockStoreError as exc:
                raise _store_error(exc, errno.ENOSPC, self.volume_id) from None
            self._first_touch(touches)
        if fua:
            self.flush()

    def write_zeroes(self, offset: int, length: int, fua: bool = False, no_hole: bool = False) -> None:
        """Zero a range: throttled as a write of ``length`` bytes; without ``no_hole`` the store
        discards the whole blocks it covers (they read as zeros) instead of writing them."""
        self._check_range(offset, length, errno.ENOSPC)
        self._throttle(offset, length, True)
        store = self.runtime.store
        try:
            if not no_hole:
                if length:
                    store.trim(self.volume_id, offset, length)
            else:
                zeros = bytes(min(length, _ZERO_CHUNK))
                done = 0
                while done < length:
                    step = min(length - done, len(zeros))
                    self._first_touch(store.write(self.volume_id, offset + done, memoryview(zeros)[:step]))
                    done += step
        except BlockStoreError as exc:
            raise _store_error(exc, errno.ENOSPC, self.volume_id) from None
        if fua:
            self.flush()

    def trim(self, offset: int, length: int) -> None:
        """Discard a range (it reads as zeros afterwards); not throttled."""
        self._check_range(offset, length, errno.EINVAL)
        if length == 0:
            return
        try:
            self.runtime.store.trim(self.volume_id, offset, length)
        except BlockStoreError as exc:
            raise _store_error(exc, errno.EINVAL, self.volume_id) from None

    def flush(self) -> None:
        """Everything acknowledged so far to stable storage; not throttled."""
        try:
            self.runtime.store.flush(self.volume_id)
        except BlockStoreError as exc:
            raise _store_error(exc, errno.EIO, self.volume_id) from None

    # -- helpers ----------------------------------------------------------------------------------

    def _check_range(self, offset: int, length: int, beyond_end: int) -> None:
        """Refuse a bad range before it is charged to the scheduler."""
        if offset < 0 or length < 0:
            raise volume_error(errno.EINVAL, "negative offset or length")
        if offset + length > self._size and offset + length > self.refresh_size():
            raise volume_error(beyond_end, f"range {offset}+{length} beyond the end of {self.volume_id} ({self._size} bytes)")

    def _throttle(self, offset: int, length: int, is_write: bool) -> None:
        scheduler = self.runtime.scheduler(self.volume_id)
        if scheduler is None:
            return
        wait = scheduler.admit(self.runtime.now(), offset, length, is_write)
        if wait > 0:
            self._sleep(wait)

    def _first_touch(self, touches: int) -> None:
        """Charge the latency of fetching lazily restored blocks from the snapshot."""
        if touches <= 0:
            return
        try:
            penalty_us = int(self.runtime.store.volume_info(self.volume_id)["first_touch_penalty_us"])
        except BlockStoreError:
            return  # the I/O itself succeeded; a volume deleted since owes no latency
        if penalty_us > 0:
            self._sleep(touches * penalty_us / 1e6)
