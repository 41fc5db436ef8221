"""Tags on an organization's root, OUs, accounts and customer policies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pycloud.context import RequestContext
from pycloud.services.organizations import errors
from pycloud.services.organizations.common import OrganizationsBase
from pycloud.services.organizations.models import Organization
from pycloud.services.organizations.store import target_kind

Setter = Callable[[dict[str, str]], None]


class TagOperations(OrganizationsBase):
    """TagResource, UntagResource, ListTagsForResource."""

    def _tagged(self, org: Organization, resource_id: str) -> tuple[dict[str, str], Setter]:
        """The resource's tags and how to store new ones (TargetNotFoundException if it is not in ``org``)."""
        store = self.store
        if resource_id == org.root_id:

            def set_root_tags(tags: dict[str, str]) -> None:
                store.replace_organization(org, root_tags=tags)

            return org.root_tags, set_root_tags
        if resource_id.startswith("p-"):
            policy = store.tables.policies.get(org.id, "", resource_id)
            if policy is not None:
                return policy.tags, lambda tags: store.put_policy(org, dataclasses.replace(policy, tags=tags))
        elif target_kind(resource_id) == "ORGANIZATIONAL_UNIT":
            unit = store.unit(org, resource_id)
            if unit is not None:
                return unit.tags, lambda tags: store.put_unit(org, dataclasses.replace(unit, tags=tags))
        elif target_kind(resource_id) == "ACCOUNT":
            member = store.member(org, resource_id)
            if member is not None:
                return member.tags, lambda tags: store.put_member(org, dataclasses.replace(member, tags=tags))
        raise errors.target_not_found()

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        tags, store = self._tagged(org, params["ResourceId"])
        store(self._tags_in(params["Tags"], tags))
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        tags, store = self._tagged(org, params["ResourceId"])
        drop = set(params["TagKeys"])
        store({key: value for key, value in tags.items() if key not in drop})
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        tags, _ = self._tagged(org, params["ResourceId"])
        return {"Tags": self._tag_list(tags)}
