"""ARN parsing and formatting: the one place pycloud takes Amazon Resource Names apart.

An ARN is ``arn:partition:service:region:account-id:resource``; the resource part may itself
contain colons and slashes (``function:my-fn:1``, ``role/path/name``), so only the first five
colons separate fields.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})
"""Partitions AWS knows; policy validation rejects ARNs naming any other."""


class ArnError(ValueError):
    """The text is not a well-formed ARN."""


@dataclass(frozen=True, slots=True)
class Arn:
    """A parsed ARN. ``str(arn)`` gives the canonical text back."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The resource part before its first ``/`` or ``:`` (``role`` in ``role/admin``); '' if none."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[:i]
        return ""

    @property
    def resource_id(self) -> str:
        """The resource part after its type (``path/admin`` in ``role/path/admin``)."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[i + 1 :]
        return self.resource


def parse_arn(text: str) -> Arn:
    """Parse ``text`` into an :class:`Arn`; raises :class:`ArnError` if it is not an ARN.

    Only the shape is checked (six fields, ``arn`` prefix, non-empty partition, service and
    resource); region and account may be empty as in S3 and IAM ARNs.
    """
    if not isinstance(text, str):
        raise ArnError(f"ARN must be a string, not {type(text).__name__}")
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ArnError(f"{text!r} is not an ARN")
    _, partition, service, region, account, resource = parts
    if not partition or not service or not resource:
        raise ArnError(f"{text!r} is not an ARN")
    return Arn(partition, service, region, account, resource)


def try_parse_arn(text: str) -> Arn | None:
    """Like :func:`parse_arn` but returns None instead of raising."""
    try:
        return parse_arn(text)
    except ArnError:
        return None


def is_arn(text: str) -> bool:
    """True if ``text`` has the shape of an ARN."""
    return try_parse_arn(text) is not None


def format_arn(service: str, resource: str, *, account: str = "", region: str = "", partition: str = "aws") -> str:
    """Build an ARN string from its fields."""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def root_arn(account: str, partition: str = "aws") -> str:
    """The ARN of an account's root user (``arn:aws:iam::123456789012:root``)."""
    return f"arn:{partition}:iam::{account}:root"


def is_account_id(text: str) -> bool:
    """True for a 12-digit AWS account id."""
    return len(text) == 12 and text.isdigit()


def account_of(text: str) -> str:
    """The account field of an ARN, or '' when ``text`` is not an ARN or has none (S3)."""
    arn = try_parse_arn(text)
    return arn.account if arn else ""


def session_role_arn(session_arn: str) -> str | None:
    """The role ARN behind an assumed-role session ARN, or None for other ARNs.

    ``arn:aws:sts::111122223333:assumed-role/Admin/alice`` → ``arn:aws:iam::111122223333:role/Admin``.
    A session ARN drops the role's path, so the result is only exact for roles at path ``/``;
    callers that know the real role ARN should use it instead.
    """
    arn = try_parse_arn(session_arn)
    if arn is None or arn.service != "sts" or not arn.resource.startswith("assumed-role/"):
        return None
    parts = arn.resource.split("/")
    if len(parts) < 3 or not parts[1]:
        return None
    return f"arn:{arn.partition}:iam::{arn.account}:role/{parts[1]}"
