"""Timestamp formats of the AWS protocols: ISO 8601, RFC 822 (HTTP dates) and epoch seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pycloud.protocol.errors import ServiceError

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:?\d{2})?$"
)


def to_datetime(value: datetime | float | int | str) -> datetime:
    """Normalise a provider's timestamp value (datetime, epoch number or ISO string) to aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return parse_iso8601(value)


def format_iso8601(value: datetime | float | int | str, millis: bool = True) -> str:
    """``2024-01-02T03:04:05.000Z`` (the form AWS's XML and query protocols use)."""
    dt = to_datetime(value).astimezone(UTC)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_rfc822(value: datetime | float | int | str) -> str:
    """``Tue, 02 Jan 2024 03:04:05 GMT`` (HTTP-date, used in headers)."""
    if isinstance(value, (int, float)):
        # Epoch numbers repeat (an object's Last-Modified on every GET): memoise by whole second.
        second = int(value // 1)
        text = _RFC822_CACHE.get(second)
        if text is None:
            if len(_RFC822_CACHE) >= 4096:
                _RFC822_CACHE.clear()
            text = _RFC822_CACHE[second] = _rfc822(datetime.fromtimestamp(second, UTC))
        return text
    return _rfc822(to_datetime(value).astimezone(UTC))


_RFC822_CACHE: dict[int, str] = {}


def _rfc822(dt: datetime) -> str:
    return f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} {dt:%H:%M:%S} GMT"


def format_epoch(value: datetime | float | int | str) -> float | int:
    """Epoch seconds (JSON protocols); integral values come out as ints."""
    ts = to_datetime(value).timestamp()
    return int(ts) if ts == int(ts) else round(ts, 3)


def parse_iso8601(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; raises ValueError when malformed."""
    match = _ISO_RE.match(text.strip())
    if not match:
        raise ValueError(f"invalid ISO 8601 timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    frac = match.group(7)
    micro = int(round(float(frac) * 1_000_000)) if frac else 0
    dt = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    tz = match.group(8)
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        dt -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt + timedelta(microseconds=min(micro, 999_999))


def parse_timestamp(value: str | int | float, fmt: str | None = None) -> datetime:
    """Parse a wire timestamp in any AWS format (``fmt`` is the model's ``timestampFormat`` hint).

    Raises ServiceError(SerializationException) when the value is not a timestamp.
    """
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        text = str(value).strip()
        if fmt == "unixTimestamp" or re.fullmatch(r"-?\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        if fmt == "rfc822" or (text[:3].isalpha() and "," in text[:5]):
            from email.utils import parsedate_to_datetime  # rare: keep email's import off start-up

            dt = parsedate_to_datetime(text)
            return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        return parse_iso8601(text)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise ServiceError("SerializationException", f"Invalid timestamp value: {value!r}", 400) from exc
