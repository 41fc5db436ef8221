"""The EBS data plane of one pycloud: the native block store and each volume's I/O scheduler.

Shared by the EC2 volume and snapshot operations (``services/ec2``), the EBS direct APIs
(``services/ebs``), the NBD server and :func:`pycloud.ebs.open_volume`. Blocks live in
``pycloud._core.BlockStore`` under ``<data-dir>/ebs`` (a temporary directory with ``--ephemeral``);
volume and snapshot *records* (type, state, tags...) belong to EC2, which tells this runtime each
volume's performance configuration (:meth:`EbsRuntime.configure`) so that every I/O path applies the
same ``pycloud._core.VolumeScheduler``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycloud._core import BlockStore, VolumeScheduler

if TYPE_CHECKING:
    from pycloud.services.base import ServiceRuntime

STORE_DIR = "ebs"
_ATTRIBUTE = "_ebs_runtime"


@dataclass(frozen=True)
class VolumeConfig:
    """A volume's performance configuration, as EC2 records it."""

    volume_type: str
    size_gib: int
    iops: int | None = None
    throughput_mibps: int | None = None


class EbsRuntime:
    """Owns the BlockStore and the per-volume schedulers; one per ServiceRuntime (:meth:`of`)."""

    def __init__(self, data_path: Path | None, sync: str = "batch", clock: Any = None, time_scale: float = 1.0) -> None:
        if data_path is None:
            self._tmp: str | None = tempfile.mkdtemp(prefix="pycloud-ebs-")
            atexit.register(shutil.rmtree, self._tmp, True)
            self.path = Path(self._tmp)
        else:
            self._tmp = None
            self.path = Path(data_path) / STORE_DIR
        self.path.mkdir(parents=True, exist_ok=True)
        self.store = BlockStore(str(self.path), sync=sync)
        self.clock = clock
        self.time_scale = time_scale
        self._lock = threading.Lock()
        self._configs: dict[str, VolumeConfig] = {}
        self._schedulers: dict[str, VolumeScheduler] = {}

    @classmethod
    def of(cls, runtime: ServiceRuntime) -> EbsRuntime:
        """The EBS runtime of ``runtime`` (opened on first use)."""
        found = getattr(runtime, _ATTRIBUTE, None)
        if found is None:
            settings = runtime.settings
            data_path = getattr(settings, "data_path", None) if settings is not None else None
            sync = getattr(settings, "fsync", "batch") if settings is not None else "batch"
            scale = float(getattr(settings, "ebs_time_scale", 1.0) or 1.0) if settings is not None else 1.0
            found = cls(data_path, sync, runtime.clock, scale)
            setattr(runtime, _ATTRIBUTE, found)
            if getattr(runtime, "state", None) is not None:
                # Volume configurations are EC2 records: load them now, so that an I/O path opened
                # before any EC2 request (NBD, open_volume) after a restart finds them configured.
                from pycloud.services.ec2.ebs_models import catalog

                catalog(runtime)
        return found

    # -- performance ------------------------------------------------------------------------------

    def configure(self, volume_id: str, config: VolumeConfig) -> None:
        """Set (or change, after ModifyVolume) a volume's performance; a new scheduler starts with
        full burst credits, as a new or modified gp2 volume does."""
        with self._lock:
            if self._configs.get(volume_id) != config:
                self._configs[volume_id] = config
                self._schedulers.pop(volume_id, None)

    def forget(self, volume_id: str) -> None:
        """A deleted volume: drop its configuration and scheduler."""
        with self._lock:
            self._configs.pop(volume_id, None)
            self._schedulers.pop(volume_id, None)

    def config(self, volume_id: str) -> VolumeConfig | None:
        """The volume's configuration, or None when EC2 has not configured it."""
        return self._configs.get(volume_id)

    def scheduler(self, volume_id: str) -> VolumeScheduler | None:
        """The volume's scheduler (built on first use), or None for an unconfigured volume."""
        found = self._schedulers.get(volume_id)
        if found is None:
            config = self._configs.get(volume_id)
            if config is None:
                return None
            with self._lock:
                found = self._schedulers.get(volume_id)
                if found is None:
                    found = VolumeScheduler(config.volume_type, config.size_gib, config.iops,
                                            config.throughput_mibps, self.time_scale)
                    self._schedulers[volume_id] = found
        return found

    def now(self) -> float:
        """Seconds on the (virtual) clock the schedulers run on."""
        return self.clock.time() if self.clock is not None else 0.0

    def close(self) -> None:
        """Close the store (tests and shutdown)."""
        self.store.close()

    @classmethod
    def close_of(cls, runtime: ServiceRuntime) -> None:
        """Close ``runtime``'s EBS runtime if it was opened (server shutdown)."""
        found = getattr(runtime, _ATTRIBUTE, None)
        if found is not None:
            found.close()
