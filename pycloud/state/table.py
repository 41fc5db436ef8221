"""An in-memory table of one record kind, written through to the StateStore on every mutation.

Providers read their resources from plain Python objects (fast, no SQL on the request path) and
call ``put``/``delete`` after changing one, which persists it before the in-memory copy changes,
so memory is never ahead of disk. An object mutated in place must be ``put`` again.

Inside a ``StateStore.transaction()`` block that rolls back, the in-memory copies are *not* rolled
back: validate before mutating, or build a fresh table (it reloads from the store) after a failure.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pycloud.state.store import StateStore


class RecordModel:
    """Mixin for dataclass models: ``to_record``/``from_record`` by field name.

    Unknown keys in a stored record are ignored and missing ones take the field default, so a
    model can gain fields without a migration.
    """

    def to_record(self) -> dict[str, Any]:
        """The model as a persistable dict."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Any:
        """Rebuild a model from ``to_record``'s output."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in record.items() if k in names})


class Persistable(Protocol):
    def to_record(self) -> dict[str, Any]: ...

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Any: ...


M = TypeVar("M", bound=Persistable)
Scope = tuple[str, str]
"""(account, region); region is "" for account-global resources."""


class RecordTable(Generic[M]):
    """Objects of one ``(service, kind)``, grouped by (account, region) and keyed by name."""

    GLOBAL: ClassVar[str] = ""

    def __init__(self, store: StateStore, service: str, kind: str, model: type[M]) -> None:
        self.store = store
        self.service = service
        self.kind = kind
        self.model = model
        self._lock = threading.Lock()
        self._scopes: dict[Scope, dict[str, M]] = {}
        for rec in store.load(service, kind):
            self._scopes.setdefault((rec.account, rec.region), {})[rec.key] = model.from_record(rec.record)

    def get(self, account: str, region: str, key: str) -> M | None:
        """The object stored under this key, or None."""
        scope = self._scopes.get((account, region))
        return scope.get(key) if scope else None

    def put(self, account: str, region: str, key: str, item: M) -> None:
        """Persist ``item`` then make it visible in memory."""
        with self._lock:
            self.store.put(self.service, self.kind, account, region, key, item.to_record())
            self._scopes.setdefault((account, region), {})[key] = item

    def delete(self, account: str, region: str, key: str) -> M | None:
        """Remove the object (from disk first); returns it, or None when absent."""
        with self._lock:
            self.store.delete(self.service, self.kind, account, region, key)
            scope = self._scopes.get((account, region))
            return scope.pop(key, None) if scope else None

    def values(self, account: str, region: str | None = None) -> list[M]:
        """The account's objects in one region (or all regions when ``region`` is None)."""
        if region is not None:
            return list(self._scopes.get((account, region), {}).values())
        return [
            item for (acct, _), scope in list(self._scopes.items()) if acct == account for item in list(scope.values())
        ]

    def items(self, account: str, region: str) -> list[tuple[str, M]]:
        """(key, object) pairs of one scope."""
        return list(self._scopes.get((account, region), {}).items())

    def __iter__(self) -> Iterator[tuple[str, str, str, M]]:
        """Every (account, region, key, object) held."""
        for (account, region), scope in list(self._scopes.items()):
            for key, item in list(scope.items()):
                yield account, region, key, item

    def __len__(self) -> int:
        return sum(len(scope) for scope in self._scopes.values())

    def clear(self) -> None:
        """Forget every object of this kind, in memory and on disk."""
        with self._lock:
            self.store.clear(self.service, self.kind)
            self._scopes.clear()
