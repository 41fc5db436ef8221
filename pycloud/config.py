"""pycloud's settings, from one place: defaults < TOML config file < PYCLOUD_* environment < flags."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_ACCOUNT = "000000000000"


class ConfigError(Exception):
    """A setting has a value pycloud cannot use."""


@dataclass(frozen=True)
class AccountSpec:
    """An account declared up front, with a fixed root access key."""

    id: str
    access_key: str
    secret_key: str
    name: str = ""


@dataclass
class Settings:
    """Every setting pycloud reads. Field names double as flag names and ``PYCLOUD_<NAME>``."""

    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: str = ".pycloud"
    ephemeral: bool = False
    strict: bool = False
    log_level: str = "warning"
    default_account: str = DEFAULT_ACCOUNT
    default_region: str = "us-east-1"
    access_key: str = "test"
    secret_key: str = "test"
    max_body_bytes: int = 64 * 1024 * 1024
    """Largest body buffered in memory; streaming operations (S3 PutObject) are not limited by it."""
    max_header_bytes: int = 64 * 1024
    idle_timeout: float = 75.0
    header_timeout: float = 30.0
    shutdown_grace: float = 10.0
    fsync: str = "batch"
    """Object store durability: ``always`` (fsync before acknowledging), ``batch`` (acknowledged
    writes survive a crash of pycloud and reach disk within 50 ms), ``never`` (survive a pycloud
    crash, not an OS crash)."""
    s3_lifecycle_interval: float = 60.0
    """Real seconds between S3 lifecycle passes (besides every virtual clock advance); 0 turns them off."""
    nbd_port: int = -1
    """NBD server for EBS volumes on 127.0.0.1 (opt-in): -1 off, 0 a free port, else that port."""
    ebs_time_scale: float = 1.0
    """EBS burst-credit speed-up: gp2/st1/sc1 credits drain and refill this many times faster (> 0)."""
    native_front: bool = True
    """Answer the hottest SQS JSON requests (SendMessage(Batch), ReceiveMessage,
    DeleteMessage(Batch)) in native code once the request road has authorized their caller and
    queue; ``PYCLOUD_NATIVE_FRONT=0`` sends every request down the Python road."""
    providers: str = ""
    """Provider overrides, ``SERVICE=MODULE:CLASS`` comma-separated (custom or stub providers)."""
    accounts: list[AccountSpec] = field(default_factory=list)

    @property
    def data_path(self) -> Path | None:
        """The data directory, or None when state is kept in memory only."""
        return None if self.ephemeral else Path(self.data_dir)


def _coerce(name: str, kind: Any, value: Any) -> Any:
    if kind in (bool, "bool"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name}: expected a boolean, got {value!r}")
    if kind in (int, "int"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
    if kind in (float, "float"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    return str(value)


_SCALARS = {f.name: f.type for f in fields(Settings) if f.name != "accounts"}


def _parse_accounts(raw: Any) -> list[AccountSpec]:
    if not isinstance(raw, list):
        raise ConfigError("accounts: expected a list of tables ([[accounts]])")
    result = []
    for entry in raw:
        try:
            result.append(
                AccountSpec(
                    id=str(entry["id"]),
                    access_key=str(entry["access_key"]),
                    secret_key=str(entry["secret_key"]),
                    name=str(entry.get("name", "")),
                )
            )
        except (KeyError, TypeError):
            raise ConfigError("accounts: each account needs id, access_key and secret_key") from None
    for spec in result:
        validate_account_id(spec.id)
    return result


def validate_account_id(account_id: str) -> None:
    """AWS account ids are exactly 12 digits."""
    if len(account_id) != 12 or not account_id.isdigit():
        raise ConfigError(f"account id must be 12 digits, got {account_id!r}")


def load_settings(
    config_file: str | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build Settings from a TOML file, ``PYCLOUD_*`` variables and explicit overrides (flags)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or env.get("PYCLOUD_CONFIG")
    if config_file:
        import tomllib  # only when a config file is given: keeps it off start-up

        try:
            with open(config_file, "rb") as fh:
                raw = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from None
        section = raw.get("pycloud", raw)
        for key, value in section.items():
            key = key.replace("-", "_")
            if key == "accounts":
                values["accounts"] = _parse_accounts(value)
            elif key in _SCALARS:
                values[key] = _coerce(key, _SCALARS[key], value)
            else:
                raise ConfigError(f"unknown setting {key!r} in {config_file}")
    for key, kind in _SCALARS.items():
        env_value = env.get(f"PYCLOUD_{key.upper()}")
        if env_value is not None:
            values[key] = _coerce(f"PYCLOUD_{key.upper()}", kind, env_value)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, _SCALARS[key], value)
    settings = Settings(**values)
    validate_account_id(settings.default_account)
    if settings.providers:
        from pycloud.services.registry import parse_overrides

        try:
            parse_overrides(settings.providers)
        except ValueError as exc:
            raise ConfigError(f"providers: {exc}") from None
    if settings.fsync not in ("always", "batch", "never"):
        raise ConfigError(f"fsync must be always, batch or never, got {settings.fsync!r}")
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port must be 0-65535, got {settings.port}")
    if not -1 <= settings.nbd_port <= 65535:
        raise ConfigError(f"nbd_port must be -1 (off) or 0-65535, got {settings.nbd_port}")
    if not (settings.ebs_time_scale > 0 and math.isfinite(settings.ebs_time_scale)):
        raise ConfigError(f"ebs_time_scale must be a number > 0, got {settings.ebs_time_scale}")
    return settings
