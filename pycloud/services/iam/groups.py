"""IAM groups and their members."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.services.iam import errors
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import check_path, new_id, page
from pycloud.services.iam.models import Group
from pycloud.services.iam.users import user_shape

MAX_GROUPS_PER_USER = 10


def group_shape(group: Group) -> dict[str, Any]:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.group_id, "Arn": group.arn,
            "CreateDate": group.created}


class GroupOperations(IamBase):
    """Groups and membership."""

    def create_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, name = ctx.account_id, params["GroupName"]
        path = check_path(params.get("Path"))
        with self._lock:
            if self.tables.groups.get(account, G, name.lower()) is not None:
                raise errors.already_exists(f"Group with name {name} already exists.")
            group = Group(name, new_id("AGPA"), path, self._now(ctx), account)
            self.tables.groups.put(account, G, name.lower(), group)
        return {"Group": group_shape(group)}

    def _members(self, account: str, group: Group) -> list[Any]:
        key = group.name.lower()
        return [u for u in self.tables.users.values(account, G) if key in u.groups]

    def get_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx.account_id, params["GroupName"])
        members, extra = page(self._members(ctx.account_id, group), lambda u: u.name.lower(), params, "iam.GetGroup")
        return {"Group": group_shape(group), "Users": [user_shape(u, full=False) for u in members], **extra}

    def list_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        groups = [g for g in self.tables.groups.values(ctx.account_id, G) if g.path.startswith(prefix)]
        chosen, extra = page(groups, lambda g: g.name.lower(), params, "iam.ListGroups")
        return {"Groups": [group_shape(g) for g in chosen], **extra}

    def update_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            group = self._group(account, params["GroupName"])
            new_name = params.get("NewGroupName") or group.name
            new_path = check_path(params.get("NewPath")) if params.get("NewPath") is not None else group.path
            old = group.name.lower()
            if new_name.lower() != old and self.tables.groups.get(account, G, new_name.lower()):
                raise errors.already_exists(f"Group with name {new_name} already exists.")
            if new_name.lower() != old:
                for user in self._members(account, group):
                    user.groups = [new_name.lower() if g == old else g for g in user.groups]
                    self.tables.users.put(account, G, user.name.lower(), user)
                self.tables.groups.delete(account, G, old)
            group.name, group.path = new_name, new_path
            self.tables.groups.put(account, G, new_name.lower(), group)
        self._changed()
        return {}

    def delete_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            group = self._group(account, params["GroupName"])
            if self._members(account, group):
                raise errors.delete_conflict("Cannot delete entity, must remove users from group first.")
            if group.inline or group.attached:
                raise errors.delete_conflict("Cannot delete entity, must delete policies first.")
            self.tables.groups.delete(account, G, group.name.lower())
        self._changed()
        return {}

    def add_user_to_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            group = self._group(account, params["GroupName"])
            user = self._user(account, params["UserName"])
            key = group.name.lower()
            if key in user.groups:
                return {}
            if len(user.groups) >= MAX_GROUPS_PER_USER:
                raise errors.limit_exceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
            user.groups.append(key)
            self.tables.users.put(account, G, user.name.lower(), user)
        self._changed()
        return {}

    def remove_user_from_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            group = self._group(account, params["GroupName"])
            user = self._user(account, params["UserName"])
            key = group.name.lower()
            if key not in user.groups:
                raise errors.no_such_entity(
                    f"The user with name {user.name} cannot be found in group {group.name}.")
            user.groups.remove(key)
            self.tables.users.put(account, G, user.name.lower(), user)
        self._changed()
        return {}

    def list_groups_for_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        user = self._user(account, params["UserName"])
        groups = [g for g in (self.tables.groups.get(account, G, k) for k in user.groups) if g is not None]
        chosen, extra = page(groups, lambda g: g.name.lower(), params, "iam.ListGroupsForUser")
        return {"Groups": [group_shape(g) for g in chosen], **extra}
