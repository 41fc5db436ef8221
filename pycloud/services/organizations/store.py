"""The organizations as a tree: lookups, parents and paths, attachments, membership.

Wraps the record tables (``models.Tables``) with the in-memory indexes every request needs
(account → organization, target → attached policies) and keeps them in step with the records.
"""

from __future__ import annotations

import dataclasses

from pycloud.services.organizations.managed import MANAGED, ManagedPolicy
from pycloud.services.organizations.models import (
    Attachment,
    Member,
    Organization,
    Policy,
    Tables,
    Unit,
)
from pycloud.state.store import StateStore

GLOBAL = ""


def target_kind(target_id: str) -> str:
    """``ROOT``, ``ORGANIZATIONAL_UNIT`` or ``ACCOUNT`` by the id's form."""
    if target_id.startswith("r-"):
        return "ROOT"
    if target_id.startswith("ou-"):
        return "ORGANIZATIONAL_UNIT"
    return "ACCOUNT"


class OrgStore:
    """Every organization's records plus the indexes derived from them."""

    def __init__(self, state: StateStore, service: str) -> None:
        self.tables = Tables(state, service)
        self._member_of: dict[str, str] = {}
        self._attached: dict[tuple[str, str], set[str]] = {}
        self._reindex()

    def _reindex(self) -> None:
        self._member_of = {account: org_id for org_id, _, account, _ in self.tables.members}
        self._attached = {}
        for org_id, _, _, item in self.tables.attachments:
            self._attached.setdefault((org_id, item.target_id), set()).add(item.policy_id)

    def clear(self) -> None:
        """Forget every record (admin reset)."""
        for table in self.tables.all():
            table.clear()
        self._reindex()

    # -- organizations and members -----------------------------------------------------------------

    def organization(self, org_id: str) -> Organization | None:
        return self.tables.organizations.get(GLOBAL, GLOBAL, org_id)

    def organization_of(self, account_id: str) -> Organization | None:
        """The organization ``account_id`` belongs to, or None."""
        org_id = self._member_of.get(account_id)
        return self.organization(org_id) if org_id is not None else None

    def put_organization(self, org: Organization) -> None:
        self.tables.organizations.put(GLOBAL, GLOBAL, org.id, org)

    def drop_organization(self, org: Organization) -> None:
        """Delete the organization with everything in it."""
        for table in (self.tables.attachments, self.tables.units, self.tables.policies, self.tables.requests):
            for key, _ in table.items(org.id, GLOBAL):
                table.delete(org.id, GLOBAL, key)
        for key, _ in self.tables.members.items(org.id, GLOBAL):
            self.tables.members.delete(org.id, GLOBAL, key)
        self.tables.organizations.delete(GLOBAL, GLOBAL, org.id)
        self._reindex()

    def member(self, org: Organization, account_id: str) -> Member | None:
        return self.tables.members.get(org.id, GLOBAL, account_id)

    def members(self, org: Organization) -> list[Member]:
        return self.tables.members.values(org.id, GLOBAL)

    def put_member(self, org: Organization, member: Member) -> None:
        self.tables.members.put(org.id, GLOBAL, member.id, member)
        self._member_of[member.id] = org.id

    def drop_member(self, org: Organization, account_id: str) -> None:
        """Take the account out of the organization, with its policy attachments."""
        self._detach_all(org, account_id)
        self.tables.members.delete(org.id, GLOBAL, account_id)
        self._member_of.pop(account_id, None)

    def email_in_use(self, email: str) -> bool:
        """Whether any organization has an account with this email (compared case-insensitively)."""
        wanted = email.casefold()
        return any(member.email.casefold() == wanted for _, _, _, member in self.tables.members)

    # -- the tree ----------------------------------------------------------------------------------

    def unit(self, org: Organization, ou_id: str) -> Unit | None:
        return self.tables.units.get(org.id, GLOBAL, ou_id)

    def units(self, org: Organization) -> list[Unit]:
        return self.tables.units.values(org.id, GLOBAL)

    def put_unit(self, org: Organization, unit: Unit) -> None:
        self.tables.units.put(org.id, GLOBAL, unit.id, unit)

    def drop_unit(self, org: Organization, ou_id: str) -> None:
        self._detach_all(org, ou_id)
        self.tables.units.delete(org.id, GLOBAL, ou_id)

    def is_parent(self, org: Organization, parent_id: str) -> bool:
        """Whether ``parent_id`` is the root or an OU of ``org``."""
        return parent_id == org.root_id or self.unit(org, parent_id) is not None

    def child_units(self, org: Organization, parent_id: str) -> list[Unit]:
        return [unit for unit in self.units(org) if unit.parent_id == parent_id]

    def child_members(self, org: Organization, parent_id: str) -> list[Member]:
        return [member for member in self.members(org) if member.parent_id == parent_id]

    def lineage(self, org: Organization, parent_id: str) -> list[str]:
        """The ids from the root down to ``parent_id`` (a root or OU id) inclusive."""
        chain = []
        current: str | None = parent_id
        while current is not None and current != org.root_id:
            chain.append(current)
            unit = self.unit(org, current)
            current = unit.parent_id if unit is not None else None
        chain.append(org.root_id)
        chain.reverse()
        return chain

    def path(self, org: Organization, parent_id: str) -> str:
        """``o-.../r-.../ou-.../`` for the container ``parent_id``."""
        return f"{org.id}/" + "".join(f"{node}/" for node in self.lineage(org, parent_id))

    def target_exists(self, org: Organization, target_id: str) -> bool:
        """Whether ``target_id`` names the root, an OU or a member account of ``org``."""
        kind = target_kind(target_id)
        if kind == "ACCOUNT":
            return self.member(org, target_id) is not None
        return self.is_parent(org, target_id)

    # -- policies and attachments ------------------------------------------------------------------

    def policy(self, org: Organization, policy_id: str) -> Policy | ManagedPolicy | None:
        """A customer policy of ``org`` or an AWS managed one."""
        return MANAGED.get(policy_id) or self.tables.policies.get(org.id, GLOBAL, policy_id)

    def policies(self, org: Organization) -> list[Policy]:
        return self.tables.policies.values(org.id, GLOBAL)

    def put_policy(self, org: Organization, policy: Policy) -> None:
        self.tables.policies.put(org.id, GLOBAL, policy.id, policy)

    def drop_policy(self, org: Organization, policy_id: str) -> None:
        self.tables.policies.delete(org.id, GLOBAL, policy_id)

    def attached(self, org: Organization, target_id: str, policy_type: str | None = None) -> list[str]:
        """Ids of the policies attached to ``target_id`` (of ``policy_type`` only, if given), sorted."""
        ids = self._attached.get((org.id, target_id), set())
        if policy_type is not None:
            ids = {pid for pid in ids if (p := self.policy(org, pid)) is not None and p.type == policy_type}
        return sorted(ids)

    def targets_of(self, org: Organization, policy_id: str) -> list[str]:
        """The targets ``policy_id`` is attached to."""
        return sorted(
            target for (org_id, target), ids in self._attached.items() if org_id == org.id and policy_id in ids
        )

    def attach(self, org: Organization, policy_id: str, target_id: str) -> None:
        item = Attachment(policy_id, target_id)
        self.tables.attachments.put(org.id, GLOBAL, item.key, item)
        self._attached.setdefault((org.id, target_id), set()).add(policy_id)

    def detach(self, org: Organization, policy_id: str, target_id: str) -> None:
        self.tables.attachments.delete(org.id, GLOBAL, Attachment(policy_id, target_id).key)
        self._attached.get((org.id, target_id), set()).discard(policy_id)

    def _detach_all(self, org: Organization, target_id: str) -> None:
        for policy_id in self.attached(org, target_id):
            self.detach(org, policy_id, target_id)
        self._attached.pop((org.id, target_id), None)

    def all_targets(self, org: Organization) -> list[str]:
        """The root, every OU and every account of ``org``."""
        return [org.root_id, *(u.id for u in self.units(org)), *(m.id for m in self.members(org))]

    def replace_organization(self, org: Organization, **changes: object) -> Organization:
        """Store a changed copy of ``org`` and return it."""
        updated = dataclasses.replace(org, **changes)  # type: ignore[arg-type]
        self.put_organization(updated)
        return updated
