"""Organizational units and the tree: create, describe, rename, delete, and walking parents and children."""

from __future__ import annotations

import dataclasses
from typing import Any

from pycloud.context import RequestContext
from pycloud.services.organizations import errors, ids
from pycloud.services.organizations.common import OrganizationsBase
from pycloud.services.organizations.managed import DEFAULT_ATTACHMENT
from pycloud.services.organizations.models import Organization, Unit
from pycloud.services.organizations.store import target_kind

MAX_DEPTH = 5
"""OUs nest at most five levels below the root."""
MAX_UNITS = 1000


class UnitOperations(OrganizationsBase):
    """Organizational units and the parent/child relations of the tree."""

    def _unit(self, org: Organization, ou_id: str) -> Unit:
        unit = self.store.unit(org, ou_id)
        if unit is None:
            raise errors.ou_not_found()
        return unit

    def _check_unit_name(self, org: Organization, parent_id: str, name: str) -> None:
        if any(unit.name == name for unit in self.store.child_units(org, parent_id)):
            raise errors.duplicate_ou()

    def create_organizational_unit(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        parent_id, name = params["ParentId"], params["Name"]
        if not self.store.is_parent(org, parent_id):
            raise errors.parent_not_found()
        if len(self.store.lineage(org, parent_id)) > MAX_DEPTH:  # the root plus five OU levels
            raise errors.constraint(
                "OU_DEPTH_LIMIT_EXCEEDED", f"You can nest organizational units at most {MAX_DEPTH} levels deep."
            )
        if len(self.store.units(org)) >= MAX_UNITS:
            raise errors.constraint("OU_NUMBER_LIMIT_EXCEEDED", f"An organization can have at most {MAX_UNITS} OUs.")
        self._check_unit_name(org, parent_id, name)
        tags = self._tags_in(params.get("Tags"))
        unit = Unit(ids.unit_id(org.root_id), name, parent_id, tags)
        self.store.put_unit(org, unit)
        for policy_type in org.policy_types:
            default = DEFAULT_ATTACHMENT.get(policy_type)
            if default is not None:
                self.store.attach(org, default.id, unit.id)
        self._changed()
        return {"OrganizationalUnit": self._unit_shape(org, unit)}

    def describe_organizational_unit(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        return {"OrganizationalUnit": self._unit_shape(org, self._unit(org, params["OrganizationalUnitId"]))}

    def update_organizational_unit(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        unit = self._unit(org, params["OrganizationalUnitId"])
        name = params.get("Name")
        if name is not None and name != unit.name:
            self._check_unit_name(org, unit.parent_id, name)
            unit = dataclasses.replace(unit, name=name)
            self.store.put_unit(org, unit)
        return {"OrganizationalUnit": self._unit_shape(org, unit)}

    def delete_organizational_unit(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        unit = self._unit(org, params["OrganizationalUnitId"])
        if self.store.child_units(org, unit.id) or self.store.child_members(org, unit.id):
            raise errors.ou_not_empty()
        self.store.drop_unit(org, unit.id)
        self._changed()
        return {}

    def list_organizational_units_for_parent(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        parent_id = params["ParentId"]
        if not self.store.is_parent(org, parent_id):
            raise errors.parent_not_found()
        units = self.store.child_units(org, parent_id)
        page, more = self._page(params, units, lambda u: u.id, "ListOrganizationalUnitsForParent")
        return {"OrganizationalUnits": [self._unit_shape(org, u) for u in page], **more}

    def list_children(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        parent_id, child_type = params["ParentId"], params["ChildType"]
        if not self.store.is_parent(org, parent_id):
            raise errors.parent_not_found()
        if child_type == "ACCOUNT":
            children = [m.id for m in self.store.child_members(org, parent_id)]
        else:
            children = [u.id for u in self.store.child_units(org, parent_id)]
        page, more = self._page(params, children, lambda c: c, f"ListChildren/{child_type}")
        return {"Children": [{"Id": child, "Type": child_type} for child in page], **more}

    def list_parents(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The one parent of an account or OU (AWS answers a list of one)."""
        org = self._managed_org(ctx)
        child_id = params["ChildId"]
        if target_kind(child_id) == "ACCOUNT":
            member = self.store.member(org, child_id)
            parent_id = member.parent_id if member is not None else None
        else:
            unit = self.store.unit(org, child_id)
            parent_id = unit.parent_id if unit is not None else None
        if parent_id is None:
            raise errors.child_not_found()
        kind = target_kind(parent_id)
        page, more = self._page(params, [parent_id], lambda p: p, "ListParents")
        return {"Parents": [{"Id": p, "Type": kind} for p in page], **more}
