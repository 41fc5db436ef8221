"""Organizations records: organizations, their member accounts, OUs, policies, attachments and
CreateAccount requests.

Organizations are global: an organization is stored under scope ("", "") keyed by its id, and
everything inside it under scope (organization id, ""), so any account's calls find it. Records
are replaced (``dataclasses.replace`` then ``put``), never changed in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pycloud.services.organizations.managed import type_path
from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable

ROOT_NAME = "Root"


@dataclass
class Organization(RecordModel):
    """One organization. ``policy_types``: the policy types enabled on its (single) root."""

    id: str
    master_account_id: str
    master_email: str
    feature_set: str
    root_id: str
    created: float
    policy_types: list[str] = field(default_factory=list)
    root_tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:organizations::{self.master_account_id}:organization/{self.id}"

    @property
    def root_arn(self) -> str:
        return f"arn:aws:organizations::{self.master_account_id}:root/{self.id}/{self.root_id}"

    def account_arn(self, account_id: str) -> str:
        return f"arn:aws:organizations::{self.master_account_id}:account/{self.id}/{account_id}"

    def ou_arn(self, ou_id: str) -> str:
        return f"arn:aws:organizations::{self.master_account_id}:ou/{self.id}/{ou_id}"

    def policy_arn(self, policy_type: str, policy_id: str) -> str:
        return f"arn:aws:organizations::{self.master_account_id}:policy/{self.id}/{type_path(policy_type)}/{policy_id}"


@dataclass
class Member(RecordModel):
    """An account of an organization (the management account too). ``parent_id``: root or OU;
    ``joined_method``: ``CREATED`` (CreateAccount) or ``INVITED`` (the management account)."""

    id: str
    name: str
    email: str
    parent_id: str
    joined_method: str
    joined: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Unit(RecordModel):
    """An organizational unit."""

    id: str
    name: str
    parent_id: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Policy(RecordModel):
    """A customer managed policy of an organization."""

    id: str
    name: str
    description: str
    type: str
    content: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Attachment(RecordModel):
    """One policy attached to one target (root, OU or account). Key: ``<target>/<policy>``."""

    policy_id: str
    target_id: str

    @property
    def key(self) -> str:
        return f"{self.target_id}/{self.policy_id}"


@dataclass
class CreateRequest(RecordModel):
    """A CreateAccount request and how it ended."""

    id: str
    account_name: str
    state: str
    requested: float
    completed: float | None = None
    account_id: str | None = None
    failure_reason: str | None = None

    def status(self) -> dict[str, object]:
        """The ``CreateAccountStatus`` shape."""
        out: dict[str, object] = {
            "Id": self.id,
            "AccountName": self.account_name,
            "State": self.state,
            "RequestedTimestamp": self.requested,
        }
        if self.completed is not None:
            out["CompletedTimestamp"] = self.completed
        if self.account_id:
            out["AccountId"] = self.account_id
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        return out


@dataclass
class Created(RecordModel):
    """An account CreateAccount registered with pycloud (kept after it leaves its organization, so
    a reset can forget it). Stored under scope ("", "") keyed by account id."""

    id: str
    root_key: str


class Tables:
    """Every Organizations record table, opened on one state store."""

    def __init__(self, state: StateStore, service: str) -> None:
        self.organizations = RecordTable(state, service, "organization", Organization)
        self.members = RecordTable(state, service, "account", Member)
        self.units = RecordTable(state, service, "ou", Unit)
        self.policies = RecordTable(state, service, "policy", Policy)
        self.attachments = RecordTable(state, service, "attachment", Attachment)
        self.requests = RecordTable(state, service, "create-account", CreateRequest)
        self.created = RecordTable(state, service, "created-account", Created)

    def all(self) -> tuple[RecordTable, ...]:  # type: ignore[type-arg]
        return (
            self.organizations,
            self.members,
            self.units,
            self.policies,
            self.attachments,
            self.requests,
            self.created,
        )
