"""Policies bound to users, groups and roles: attached managed policies, inline policies and
permissions boundaries."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.services.iam import errors
from pycloud.services.iam.aws_managed import aws_policy
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import INLINE_AGGREGATE, check_policy, page, policy_size, url_encoded

MAX_ATTACHED = 10
_NAME_PARAM = {"user": "UserName", "group": "GroupName", "role": "RoleName"}
_QUOTA = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}


class AttachmentOperations(IamBase):
    """Attach/Detach/ListAttached*, Put/Get/List/Delete*Policy, permissions boundaries."""

    def _entity(self, kind: str, account: str, name: str) -> Any:
        return {"user": self._user, "group": self._group, "role": self._role}[kind](account, name)

    def _table(self, kind: str) -> Any:
        return {"user": self.tables.users, "group": self.tables.groups, "role": self.tables.roles}[kind]

    def _save(self, kind: str, account: str, entity: Any) -> None:
        self._table(kind).put(account, G, entity.name.lower(), entity)

    @staticmethod
    def _guard_service_role(kind: str, entity: Any) -> None:
        if kind == "role" and entity.service_linked:
            raise errors.unmodifiable(f"Cannot perform the operation on the protected role '{entity.name}' - "
                                      "this role is only modifiable by AWS")

    # -- managed policy attachments ----------------------------------------------------------------

    def _attach(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, arn = ctx.account_id, params["PolicyArn"]
        with self._lock:
            entity = self._entity(kind, account, params[_NAME_PARAM[kind]])
            self._guard_service_role(kind, entity)
            self._policy_or_404(account, arn)
            if arn in entity.attached:
                return {}
            if len(entity.attached) >= MAX_ATTACHED:
                raise errors.limit_exceeded(f"Cannot exceed quota for {_QUOTA[kind]}: {MAX_ATTACHED}")
            entity.attached.append(arn)
            self._save(kind, account, entity)
        self._changed()
        return {}

    def _detach(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, arn = ctx.account_id, params["PolicyArn"]
        with self._lock:
            entity = self._entity(kind, account, params[_NAME_PARAM[kind]])
            self._guard_service_role(kind, entity)
            if arn not in entity.attached:
                raise errors.no_such_entity(f"Policy {arn} was not found.")
            entity.attached.remove(arn)
            self._save(kind, account, entity)
        self._changed()
        return {}

    def _list_attached(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        entity = self._entity(kind, account, params[_NAME_PARAM[kind]])
        prefix = params.get("PathPrefix") or "/"
        found = []
        for arn in entity.attached:
            policy = aws_policy(arn) or self._customer_policy(account, arn)
            if policy is not None and policy.path.startswith(prefix):
                found.append({"PolicyName": policy.name, "PolicyArn": arn})
        chosen, extra = page(found, lambda p: p["PolicyArn"].lower(), params, f"iam.ListAttached.{kind}")
        return {"AttachedPolicies": chosen, **extra}

    def attach_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach("user", ctx, params)

    def attach_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach("group", ctx, params)

    def attach_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach("role", ctx, params)

    def detach_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach("user", ctx, params)

    def detach_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach("group", ctx, params)

    def detach_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach("role", ctx, params)

    def list_attached_user_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached("user", ctx, params)

    def list_attached_group_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached("group", ctx, params)

    def list_attached_role_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached("role", ctx, params)

    def list_entities_for_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, arn = ctx.account_id, params["PolicyArn"]
        self._policy_or_404(account, arn)
        wanted = params.get("EntityFilter")
        usage = params.get("PolicyUsageFilter")
        prefix = params.get("PathPrefix") or "/"
        found: list[tuple[str, Any]] = []
        for kind in ("group", "role", "user"):
            if wanted and wanted.lower() != kind:
                continue
            for entity in self._table(kind).values(account, G):
                if not entity.path.startswith(prefix):
                    continue
                as_policy = arn in entity.attached
                as_boundary = getattr(entity, "boundary", "") == arn
                if (usage == "PermissionsPolicy" and as_policy) or (usage == "PermissionsBoundary" and as_boundary) \
                        or (usage is None and (as_policy or as_boundary)):
                    found.append((kind, entity))
        chosen, extra = page(found, lambda ke: f"{ke[0]}|{ke[1].name.lower()}", params, "iam.ListEntitiesForPolicy")
        out: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], **extra}
        for kind, entity in chosen:
            if kind == "group":
                out["PolicyGroups"].append({"GroupName": entity.name, "GroupId": entity.group_id})
            elif kind == "user":
                out["PolicyUsers"].append({"UserName": entity.name, "UserId": entity.user_id})
            else:
                out["PolicyRoles"].append({"RoleName": entity.name, "RoleId": entity.role_id})
        return out

    # -- inline policies -------------------------------------------------------------------------

    def _put_inline(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, name, document = ctx.account_id, params["PolicyName"], params["PolicyDocument"]
        with self._lock:
            entity = self._entity(kind, account, params[_NAME_PARAM[kind]])
            self._guard_service_role(kind, entity)
            check_policy(document)
            inline = {**entity.inline, name: document}
            limit = INLINE_AGGREGATE[kind]
            if sum(policy_size(d) for d in inline.values()) > limit:
                raise errors.limit_exceeded(f"Maximum policy size of {limit} bytes exceeded for {kind} {entity.name}")
            entity.inline = inline
            self._save(kind, account, entity)
        self._changed()
        return {}

    def _inline_doc(self, kind: str, entity: Any, name: str) -> str:
        document = entity.inline.get(name)
        if document is None:
            raise errors.no_such_entity(f"The {kind} policy with name {name} cannot be found.")
        return document

    def _get_inline(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        entity = self._entity(kind, ctx.account_id, params[_NAME_PARAM[kind]])
        document = self._inline_doc(kind, entity, params["PolicyName"])
        return {_NAME_PARAM[kind]: entity.name, "PolicyName": params["PolicyName"],
                "PolicyDocument": url_encoded(document)}

    def _list_inline(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        entity = self._entity(kind, ctx.account_id, params[_NAME_PARAM[kind]])
        chosen, extra = page(list(entity.inline), lambda n: n, params, f"iam.ListInline.{kind}")
        return {"PolicyNames": chosen, **extra}

    def _delete_inline(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            entity = self._entity(kind, account, params[_NAME_PARAM[kind]])
            self._guard_service_role(kind, entity)
            self._inline_doc(kind, entity, params["PolicyName"])
            del entity.inline[params["PolicyName"]]
            self._save(kind, account, entity)
        self._changed()
        return {}

    def put_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline("user", ctx, params)

    def put_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline("group", ctx, params)

    def put_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline("role", ctx, params)

    def get_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline("user", ctx, params)

    def get_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline("group", ctx, params)

    def get_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline("role", ctx, params)

    def list_user_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline("user", ctx, params)

    def list_group_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline("group", ctx, params)

    def list_role_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline("role", ctx, params)

    def delete_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline("user", ctx, params)

    def delete_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline("group", ctx, params)

    def delete_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline("role", ctx, params)

    # -- permissions boundaries ------------------------------------------------------------------

    def _set_boundary(self, kind: str, ctx: RequestContext, params: dict[str, Any], arn: str) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            entity = self._entity(kind, account, params[_NAME_PARAM[kind]])
            self._guard_service_role(kind, entity)
            if arn:
                policy = self._policy_or_404(account, arn)
                del policy
            elif not entity.boundary:
                raise errors.no_such_entity(f"The {kind} with name {entity.name} has no permissions boundary.")
            entity.boundary = arn
            self._save(kind, account, entity)
        self._changed()
        return {}

    def put_user_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary("user", ctx, params, params["PermissionsBoundary"])

    def put_role_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary("role", ctx, params, params["PermissionsBoundary"])

    def delete_user_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary("user", ctx, params, "")

    def delete_role_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary("role", ctx, params, "")
