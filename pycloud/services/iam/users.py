"""IAM users: Create/Get/List/Update/DeleteUser."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import root_arn
from pycloud.services.iam import errors
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import check_path, new_id, page, tag_dict, tag_list
from pycloud.services.iam.models import User


def boundary_shape(arn: str) -> dict[str, str]:
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def user_shape(user: User, full: bool = True) -> dict[str, Any]:
    """The ``User`` structure; ``full`` adds the boundary and tags (GetUser/CreateUser)."""
    out: dict[str, Any] = {
        "Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn, "CreateDate": user.created,
    }
    if user.password_last_used is not None:
        out["PasswordLastUsed"] = user.password_last_used
    if full and user.boundary:
        out["PermissionsBoundary"] = boundary_shape(user.boundary)
    if full and user.tags:
        out["Tags"] = tag_list(user.tags)
    return out


class UserOperations(IamBase):
    """Users."""

    def _check_boundary(self, account: str, arn: str | None) -> str:
        if not arn:
            return ""
        self._policy_or_404(account, arn)
        return arn

    def create_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, name = ctx.account_id, params["UserName"]
        path = check_path(params.get("Path"))
        tags = tag_dict(params.get("Tags"))
        boundary = self._check_boundary(account, params.get("PermissionsBoundary"))
        with self._lock:
            if self.tables.users.get(account, G, name.lower()) is not None:
                raise errors.already_exists(f"User with name {name} already exists.")
            user = User(name, new_id("AIDA"), path, self._now(ctx), account, tags=tags, boundary=boundary)
            self.tables.users.put(account, G, name.lower(), user)
        if boundary:
            self._changed()
        return {"User": user_shape(user)}

    def get_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("UserName")
        if name:
            return {"User": user_shape(self._user(ctx.account_id, name))}
        principal = ctx.principal
        if principal.kind == "root":
            return {"User": {"UserId": principal.account_id, "Arn": root_arn(principal.account_id),
                             "CreateDate": self._now(ctx)}}
        if principal.kind == "user":
            return {"User": user_shape(self._user(ctx.account_id, principal.arn.rsplit("/", 1)[-1]))}
        raise errors.validation("Must specify userName when calling with non-User credentials")

    def list_users(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        users = [u for u in self.tables.users.values(ctx.account_id, G) if u.path.startswith(prefix)]
        chosen, extra = page(users, lambda u: u.name.lower(), params, "iam.ListUsers")
        return {"Users": [user_shape(u, full=False) for u in chosen], **extra}

    def update_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            user = self._user(account, params["UserName"])
            new_name = params.get("NewUserName") or user.name
            new_path = check_path(params.get("NewPath")) if params.get("NewPath") is not None else user.path
            if new_name.lower() != user.name.lower() and self.tables.users.get(account, G, new_name.lower()):
                raise errors.already_exists(f"User with name {new_name} already exists.")
            old_key = user.name.lower()
            user.name, user.path = new_name, new_path
            if new_name.lower() != old_key:
                self.tables.users.delete(account, G, old_key)
                self._rename_user_records(account, old_key, new_name.lower())
            self.tables.users.put(account, G, new_name.lower(), user)
            self._register_user_keys(account, user)
        self._changed()
        return {}

    def _rename_user_records(self, account: str, old: str, new: str) -> None:
        """Move the access keys and login profile of a renamed user."""
        for key_id, key in self.tables.keys.items(account, G):
            if key.user == old:
                key.user = new
                self.tables.keys.put(account, G, key_id, key)
        login = self.tables.logins.delete(account, G, old)
        if login is not None:
            login.user = new
            self.tables.logins.put(account, G, new, login)

    def _register_user_keys(self, account: str, user: User) -> None:
        """Re-register the user's keys (their ARN follows the user's name and path)."""
        raise NotImplementedError  # provided by the access key mixin

    def delete_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            user = self._user(account, params["UserName"])
            key = user.name.lower()
            if any(k.user == key for k in self.tables.keys.values(account, G)):
                raise errors.delete_conflict("Cannot delete entity, must delete access keys first.")
            if self.tables.logins.get(account, G, key) is not None:
                raise errors.delete_conflict("Cannot delete entity, must delete login profile first.")
            if user.inline or user.attached:
                raise errors.delete_conflict("Cannot delete entity, must delete policies first.")
            if user.groups:
                raise errors.delete_conflict("Cannot delete entity, must remove users from group first.")
            self.tables.users.delete(account, G, key)
        self._changed()
        return {}
