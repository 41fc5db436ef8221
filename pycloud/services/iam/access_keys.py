"""Access keys of IAM users: records that survive restarts, registered with the credential store so
the gateway accepts their signatures; last use is kept in memory from the audit feed."""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import Any

from pycloud.context import RequestContext
from pycloud.events import AuditRecord
from pycloud.iam.credentials import Credential
from pycloud.services.base import ServiceRuntime
from pycloud.services.iam import errors
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import new_access_key, page
from pycloud.services.iam.models import AccessKey, User

MAX_KEYS_PER_USER = 2


class AccessKeyOperations(IamBase):
    """Create/List/Update/DeleteAccessKey, GetAccessKeyLastUsed and the credential contract."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self._key_accounts: dict[str, str] = {}
        self.key_last_used: dict[str, tuple[float, str, str]] = {}
        """access key → (epoch, service, region) of its last use (memory only: no write per request)."""
        self.role_last_used: dict[tuple[str, str], tuple[float, str]] = {}
        for account, _, key_id, key in self.tables.keys:
            self._key_accounts[key_id] = account
            credential = self._credential(account, key)
            if credential is not None:
                runtime.credentials.add(credential)
        ref = weakref.ref(self)

        def on_audit(record: AuditRecord) -> None:
            provider = ref()
            if provider is not None:
                provider._note_use(record)

        runtime.events.subscribe("audit", on_audit)

    def reset(self) -> None:
        for key_id in list(self._key_accounts):
            self.runtime.credentials.remove(key_id)
        self._key_accounts.clear()
        self.key_last_used.clear()
        self.role_last_used.clear()
        super().reset()

    def _note_use(self, record: AuditRecord) -> None:
        when = record.time.timestamp()
        if record.access_key in self._key_accounts:
            self.key_last_used[record.access_key] = (when, record.service, record.region)
        elif ":assumed-role/" in record.principal_arn:
            role = record.principal_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
            self.role_last_used[(record.account_id, role.lower())] = (when, record.region)

    def _credential(self, account: str, key: AccessKey) -> Credential | None:
        user = self.tables.users.get(account, G, key.user)
        if user is None:
            return None
        return Credential(key.access_key, key.secret, account, user.arn, kind="user", user_id=user.user_id,
                          active=key.status == "Active")

    def _register_user_keys(self, account: str, user: User) -> None:
        for key in self.tables.keys.values(account, G):
            if key.user == user.name.lower():
                credential = self._credential(account, key)
                if credential is not None:
                    self.runtime.credentials.add(credential)

    def credential_for(self, access_key: str) -> Credential | None:
        """The Credential of a persisted IAM user key, or None (the credential store's resolver)."""
        account = self._key_accounts.get(access_key)
        key = self.tables.keys.get(account, G, access_key) if account else None
        return self._credential(account, key) if key is not None and account else None

    def _target_user(self, ctx: RequestContext, params: dict[str, Any]) -> User:
        """``UserName``, or the calling IAM user when it is omitted."""
        name = params.get("UserName")
        if name:
            return self._user(ctx.account_id, name)
        if ctx.principal.kind == "user":
            return self._user(ctx.account_id, ctx.principal.arn.rsplit("/", 1)[-1])
        raise errors.validation("Must specify userName when calling with non-User credentials")

    def _key(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[User, AccessKey]:
        user = self._target_user(ctx, params)
        key = self.tables.keys.get(ctx.account_id, G, params["AccessKeyId"])
        if key is None or key.user != user.name.lower():
            raise errors.no_such_entity(f"The Access Key with id {params['AccessKeyId']} cannot be found")
        return user, key

    def create_access_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            user = self._target_user(ctx, params)
            owned = [k for k in self.tables.keys.values(account, G) if k.user == user.name.lower()]
            if len(owned) >= MAX_KEYS_PER_USER:
                raise errors.limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
            key_id, secret = new_access_key()
            key = AccessKey(key_id, secret, user.name.lower(), "Active", self._now(ctx))
            self.tables.keys.put(account, G, key_id, key)
            self._key_accounts[key_id] = account
            credential = self._credential(account, key)
            assert credential is not None
            self.runtime.credentials.add(credential)
        return {"AccessKey": {"UserName": user.name, "AccessKeyId": key_id, "Status": "Active",
                              "SecretAccessKey": secret, "CreateDate": key.created}}

    def list_access_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        user = self._target_user(ctx, params)
        owned = [k for k in self.tables.keys.values(ctx.account_id, G) if k.user == user.name.lower()]
        chosen, extra = page(owned, lambda k: k.access_key, params, "iam.ListAccessKeys")
        return {"AccessKeyMetadata": [{"UserName": user.name, "AccessKeyId": k.access_key, "Status": k.status,
                                       "CreateDate": k.created} for k in chosen], **extra}

    def update_access_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            _, key = self._key(ctx, params)
            key.status = params["Status"]
            self.tables.keys.put(ctx.account_id, G, key.access_key, key)
            credential = self._credential(ctx.account_id, key)
            if credential is not None:
                self.runtime.credentials.add(credential)
        return {}

    def delete_access_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            _, key = self._key(ctx, params)
            self.tables.keys.delete(ctx.account_id, G, key.access_key)
            self._key_accounts.pop(key.access_key, None)
            self.key_last_used.pop(key.access_key, None)
            # Kept as a refused key rather than forgotten: outside strict mode an unknown key would
            # sign as the default account's root, and a deleted key must not gain power.
            retired = self._credential(ctx.account_id, key)
            if retired is not None:
                self.runtime.credentials.add(replace(retired, active=False))
            else:
                self.runtime.credentials.remove(key.access_key)
        return {}

    def get_access_key_last_used(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key_id = params["AccessKeyId"]
        account = self._key_accounts.get(key_id)
        key = self.tables.keys.get(account, G, key_id) if account == ctx.account_id else None
        if key is None:
            raise errors.no_such_entity(f"The Access Key with id {key_id} cannot be found")
        user = self.tables.users.get(ctx.account_id, G, key.user)
        used = self.key_last_used.get(key_id)
        last: dict[str, Any] = {"ServiceName": "N/A", "Region": "N/A"}
        if used is not None:
            last = {"LastUsedDate": used[0], "ServiceName": used[1], "Region": used[2] or "N/A"}
        return {"UserName": user.name if user else key.user, "AccessKeyLastUsed": last}
