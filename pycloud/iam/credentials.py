"""Access keys and the accounts they belong to.

The default account's root key (``test``/``test`` unless configured) always exists. Keys declared
in the config file or through the admin API belong to their account's root. IAM and STS add their
own keys later through ``add``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pycloud.iam.arn import root_arn


@dataclass(frozen=True)
class Credential:
    """One access key: its secret and the identity it signs for."""

    access_key: str
    secret_key: str
    account_id: str
    arn: str
    kind: str = "root"
    user_id: str = ""
    session_token: str | None = None
    expires: datetime | None = None
    verified: bool = True
    """False for keys that merely map unknown access keys onto the default account."""
    session: Any = None
    """What a temporary credential carries (``pycloud.iam.directory.SessionData``), else None."""
    active: bool = True
    """False for an IAM user's key set ``Inactive``: signatures with it are refused."""


@dataclass
class Account:
    """An AWS account known to pycloud."""

    id: str
    name: str = ""
    access_keys: list[str] = field(default_factory=list)


class CredentialStore:
    """Thread-safe map of access key id → Credential, plus the accounts they belong to."""

    def __init__(self, default_account: str = "000000000000", default_key: str = "test", default_secret: str = "test"):
        self.default_account = default_account
        self._lock = threading.Lock()
        self._keys: dict[str, Credential] = {}
        self.accounts: dict[str, Account] = {}
        self._resolvers: list[Callable[[str], Credential | None]] = []
        self.version = 0
        """Counts changes to the keys (caches of what a key resolves to compare it)."""
        self.add_account(default_account, default_key, default_secret, name="default")

    def add_account(self, account_id: str, access_key: str, secret_key: str, name: str = "") -> Account:
        """Declare an account with a root access key (replacing the key if it exists)."""
        with self._lock:
            account = self.accounts.setdefault(account_id, Account(account_id, name))
            if name:
                account.name = name
            if access_key not in account.access_keys:
                account.access_keys.append(access_key)
            self._keys[access_key] = Credential(access_key, secret_key, account_id, root_arn(account_id))
            self.version += 1
        return account

    def add(self, credential: Credential) -> None:
        """Register a key created by IAM or STS."""
        with self._lock:
            self._keys[credential.access_key] = credential
            self.accounts.setdefault(credential.account_id, Account(credential.account_id))
            self.version += 1

    def remove(self, access_key: str) -> None:
        with self._lock:
            self._keys.pop(access_key, None)
            self.version += 1

    def add_resolver(self, resolver: Callable[[str], Credential | None]) -> None:
        """Consult ``resolver`` for keys not registered here (IAM and STS keys kept as records,
        whose provider has not been created yet in this process); a found key is registered."""
        self._resolvers.append(resolver)

    def get(self, access_key: str) -> Credential | None:
        """The credential for ``access_key``, or None if unknown."""
        credential = self._keys.get(access_key)
        if credential is None and self._resolvers:
            for resolver in self._resolvers:
                credential = resolver(access_key)
                if credential is not None:
                    self.add(credential)
                    break
        return credential
