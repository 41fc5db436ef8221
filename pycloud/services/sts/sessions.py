"""Temporary credentials: issued by every STS operation, kept as records, found again by key.

A session is an ``ASIA...`` key id, a 40-character secret and a session token, valid until its
expiry on the virtual clock. Each one is a record (so a restart keeps it working until it expires)
and is registered in the runtime's credential store, whose resolver asks :meth:`SessionStore.get`
for keys issued before a restart. Expired sessions stay a day longer, so their use is answered
``ExpiredToken`` rather than as an unknown key, then are swept.
"""

from __future__ import annotations

import base64
import os
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pycloud.iam.credentials import Credential, CredentialStore
from pycloud.iam.directory import SessionData
from pycloud.iam.policy import NamedPolicy
from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_GRACE_SECONDS = 86400.0
"""How long an expired session is kept so that its use answers ExpiredToken."""
_SWEEP_EVERY = 600.0
G = ""
"""STS is global: sessions live in their account's region-less scope."""


def new_key_id() -> str:
    """``ASIA`` + 16 characters, the shape of AWS's temporary key ids."""
    return "ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret() -> str:
    """A 40-character secret access key."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def new_token() -> str:
    """An opaque session token (AWS's are several hundred base64 characters)."""
    return base64.b64encode(b"\x02\x11pycloud-sts" + os.urandom(320)).decode("ascii")


def session_to_record(data: SessionData) -> dict[str, Any]:
    """A :class:`SessionData` as plain JSON-friendly values."""
    return {
        "kind": data.kind,
        "source_arn": data.source_arn,
        "policies": [[p.name, p.document if isinstance(p.document, str) else p.document.text] for p in data.policies],
        "has_session_policies": data.has_session_policies,
        "tags": [list(pair) for pair in data.tags],
        "transitive_tag_keys": list(data.transitive_tag_keys),
        "mfa": data.mfa,
        "mfa_age_seconds": data.mfa_age_seconds,
        "source_identity": data.source_identity,
        "chained": data.chained,
        "issued_at": data.issued_at,
        "federated_provider": data.federated_provider,
    }


def session_from_record(record: dict[str, Any]) -> SessionData:
    """The inverse of :func:`session_to_record`."""
    return SessionData(
        kind=record["kind"],
        source_arn=record["source_arn"],
        policies=tuple(NamedPolicy(name, doc) for name, doc in record.get("policies", ())),
        has_session_policies=bool(record.get("has_session_policies")),
        tags=tuple((k, v) for k, v in record.get("tags", ())),
        transitive_tag_keys=tuple(record.get("transitive_tag_keys", ())),
        mfa=bool(record.get("mfa")),
        mfa_age_seconds=record.get("mfa_age_seconds"),
        source_identity=record.get("source_identity", ""),
        chained=bool(record.get("chained")),
        issued_at=float(record.get("issued_at", 0.0)),
        federated_provider=record.get("federated_provider", ""),
    )


@dataclass
class SessionRecord(RecordModel):
    """One temporary credential as stored."""

    access_key: str
    secret: str
    token: str
    account: str
    arn: str
    kind: str
    """The caller kind its requests carry: ``assumed-role``, ``federated-user``, ``user``, ``root``."""
    user_id: str
    issued: float
    expires: float
    session: dict[str, Any] = field(default_factory=dict)

    def credential(self) -> Credential:
        """The credential the gateway verifies requests with."""
        return Credential(
            access_key=self.access_key,
            secret_key=self.secret,
            account_id=self.account,
            arn=self.arn,
            kind=self.kind,
            user_id=self.user_id,
            session_token=self.token,
            expires=datetime.fromtimestamp(self.expires, UTC),
            session=session_from_record(self.session),
        )


class SessionStore:
    """Every temporary credential, by key id, persisted and registered with the credential store."""

    def __init__(self, state: StateStore, credentials: CredentialStore) -> None:
        self.table: RecordTable[SessionRecord] = RecordTable(state, "sts", "session", SessionRecord)
        self.credentials = credentials
        self._lock = threading.Lock()
        self._accounts: dict[str, str] = {key: account for account, _, key, _ in self.table}
        self._swept = 0.0

    def issue(
        self, *, account: str, arn: str, kind: str, user_id: str, now: float, duration: int, session: SessionData
    ) -> SessionRecord:
        """Create, persist and register a new temporary credential valid ``duration`` seconds."""
        self._sweep(now)
        record = SessionRecord(
            access_key=new_key_id(), secret=new_secret(), token=new_token(), account=account, arn=arn, kind=kind,
            user_id=user_id, issued=now, expires=now + duration, session=session_to_record(session),
        )  # fmt: skip
        with self._lock:
            self.table.put(record.account, G, record.access_key, record)
            self._accounts[record.access_key] = record.account
        self.credentials.add(record.credential())
        return record

    def get(self, access_key: str) -> SessionRecord | None:
        """The session issued with ``access_key``, expired or not (None when unknown or swept)."""
        account = self._accounts.get(access_key)
        return self.table.get(account, G, access_key) if account is not None else None

    def credential_for(self, access_key: str) -> Credential | None:
        """The credential of a stored session (the gateway's resolver after a restart)."""
        record = self.get(access_key)
        return record.credential() if record is not None else None

    def _sweep(self, now: float) -> None:
        """Forget sessions expired more than a day ago (at most every few minutes)."""
        if now - self._swept < _SWEEP_EVERY:
            return
        self._swept = now
        stale = [(account, key) for account, _, key, rec in self.table if rec.expires + _GRACE_SECONDS < now]
        for account, key in stale:
            with self._lock:
                self.table.delete(account, G, key)
                self._accounts.pop(key, None)
            self.credentials.remove(key)

    def clear(self) -> None:
        """Forget every session (admin reset)."""
        with self._lock:
            keys = list(self._accounts)
            self.table.clear()
            self._accounts.clear()
        for key in keys:
            self.credentials.remove(key)
