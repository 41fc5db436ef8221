"""Queue URLs and ARNs: building them, and finding the queue a QueueUrl names.

pycloud hands out ``http://<host the client used>/<account>/<queue name>`` so a client that posts
to the queue URL itself (older query SDKs) reaches this server again. Parsing accepts every form
SDKs produce or users paste: any scheme and host (``localhost:4566``,
``sqs.us-east-1.localhost:4566``, ``sqs.eu-west-1.amazonaws.com``, the legacy
``eu-west-1.queue.amazonaws.com``), with the region taken from the host when it names one and from
the request otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pycloud.iam.arn import try_parse_arn
from pycloud.protocol.errors import ServiceError
from pycloud.services.sqs import errors

QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
FIFO_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")


@dataclass(frozen=True)
class QueueRef:
    """Which queue a URL or ARN names: (account, region, name)."""

    account: str
    region: str
    name: str


def queue_url(host: str, account: str, name: str, scheme: str = "http") -> str:
    """The URL of a queue, on the host the client reached us by."""
    return f"{scheme}://{host}/{account}/{name}"


def queue_arn(region: str, account: str, name: str) -> str:
    """``arn:aws:sqs:<region>:<account>:<name>``."""
    return f"arn:aws:sqs:{region}:{account}:{name}"


def region_of_host(host: str) -> str | None:
    """The region a host names (``sqs.<region>.…`` or ``<region>.queue.…``), or None."""
    labels = host.split(":", 1)[0].lower().split(".")
    if len(labels) >= 2 and labels[0] == "sqs" and _REGION.fullmatch(labels[1]):
        return labels[1]
    if len(labels) >= 2 and labels[1] == "queue" and _REGION.fullmatch(labels[0]):
        return labels[0]
    return None


_PARSED: dict[tuple[str, str], QueueRef] = {}
_PARSED_MAX = 4096


def parse_queue_url(url: str, default_region: str) -> QueueRef:
    """The queue a QueueUrl names.

    ``InvalidAddress`` when the text is not a queue URL at all; a well-formed URL naming no queue
    is the caller's ``QueueDoesNotExist`` to raise. Every message operation names its queue by URL,
    so well-formed answers are remembered.
    """
    known = _PARSED.get((url, default_region))
    if known is not None:
        return known
    ref = _parse_queue_url(url, default_region)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[(url, default_region)] = ref
    return ref


def _parse_queue_url(url: str, default_region: str) -> QueueRef:
    text = (url or "").strip()
    parts = urlsplit(text) if "://" in text else None
    if parts is None or not parts.netloc:
        raise _invalid_address(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2 or not _ACCOUNT.fullmatch(segments[0]):
        raise errors.queue_does_not_exist() if segments else _invalid_address(url)
    region = region_of_host(parts.netloc) or default_region
    return QueueRef(segments[0], region, segments[1])


def parse_queue_arn(arn: str) -> QueueRef | None:
    """The queue an SQS queue ARN names, or None when the text is not one."""
    parsed = try_parse_arn(arn or "")
    if parsed is None or parsed.service != "sqs" or not parsed.region or not _ACCOUNT.fullmatch(parsed.account):
        return None
    return QueueRef(parsed.account, parsed.region, parsed.resource)


def valid_queue_name(name: str, fifo: bool) -> bool:
    """Whether ``name`` is a legal queue name for the queue type."""
    return bool((FIFO_QUEUE_NAME if fifo else QUEUE_NAME).fullmatch(name or ""))


def _invalid_address(url: str) -> ServiceError:
    return errors.sqs_error("InvalidAddress", f"The address {url} is not valid for this endpoint.", 404)
