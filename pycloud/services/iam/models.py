"""IAM records. Every one lives in the account's global scope ``(account, "")`` of its RecordTable.

Names are unique without regard to case in IAM, so records are keyed by the lower-cased name
(ARN for identity providers, the key id for access keys). Records are changed in place and ``put``
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycloud.services.iam.common import iam_arn
from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable


@dataclass
class User(RecordModel):
    name: str
    user_id: str
    path: str
    created: float
    account: str
    tags: dict[str, str] = field(default_factory=dict)
    inline: dict[str, str] = field(default_factory=dict)
    attached: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    """Lower-cased names of the groups the user is in."""
    boundary: str = ""
    password_last_used: float | None = None

    @property
    def arn(self) -> str:
        return iam_arn(self.account, "user", self.path, self.name)


@dataclass
class Group(RecordModel):
    name: str
    group_id: str
    path: str
    created: float
    account: str
    inline: dict[str, str] = field(default_factory=dict)
    attached: list[str] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return iam_arn(self.account, "group", self.path, self.name)


@dataclass
class Role(RecordModel):
    name: str
    role_id: str
    path: str
    created: float
    account: str
    assume_role_policy_document: str
    description: str = ""
    max_session_duration: int = 3600
    tags: dict[str, str] = field(default_factory=dict)
    inline: dict[str, str] = field(default_factory=dict)
    attached: list[str] = field(default_factory=list)
    boundary: str = ""
    last_used: float | None = None
    last_used_region: str = ""

    @property
    def arn(self) -> str:
        return iam_arn(self.account, "role", self.path, self.name)

    @property
    def service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")


@dataclass
class ManagedPolicy(RecordModel):
    """A customer managed policy; ``versions`` maps ``v<N>`` → {document, created}."""

    name: str
    policy_id: str
    path: str
    created: float
    updated: float
    account: str
    description: str = ""
    default_version: str = "v1"
    next_version: int = 2
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return iam_arn(self.account, "policy", self.path, self.name)

    @property
    def document(self) -> str:
        return self.versions[self.default_version]["document"]


@dataclass
class InstanceProfile(RecordModel):
    name: str
    profile_id: str
    path: str
    created: float
    account: str
    roles: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return iam_arn(self.account, "instance-profile", self.path, self.name)


@dataclass
class AccessKey(RecordModel):
    access_key: str
    secret: str
    user: str
    """Lower-cased user name."""
    status: str
    created: float


@dataclass
class LoginProfile(RecordModel):
    user: str
    password_hash: str
    salt: str
    created: float
    reset_required: bool = False


@dataclass
class OidcProvider(RecordModel):
    arn: str
    url: str
    created: float
    client_ids: list[str] = field(default_factory=list)
    thumbprints: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SamlProvider(RecordModel):
    arn: str
    name: str
    metadata_document: str
    created: float
    valid_until: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class AccountSettings(RecordModel):
    """Per-account singletons: the alias and the password policy (``None``: no policy set)."""

    aliases: list[str] = field(default_factory=list)
    password_policy: dict[str, Any] | None = None
    report_generated: float | None = None


class Tables:
    """Every IAM record table."""

    def __init__(self, store: StateStore, service: str = "iam") -> None:
        self.users = RecordTable(store, service, "user", User)
        self.groups = RecordTable(store, service, "group", Group)
        self.roles = RecordTable(store, service, "role", Role)
        self.policies = RecordTable(store, service, "policy", ManagedPolicy)
        self.profiles = RecordTable(store, service, "instance-profile", InstanceProfile)
        self.keys = RecordTable(store, service, "access-key", AccessKey)
        self.logins = RecordTable(store, service, "login-profile", LoginProfile)
        self.oidc = RecordTable(store, service, "oidc-provider", OidcProvider)
        self.saml = RecordTable(store, service, "saml-provider", SamlProvider)
        self.settings = RecordTable(store, service, "account", AccountSettings)

    def all(self) -> list[RecordTable[Any]]:
        return [self.users, self.groups, self.roles, self.policies, self.profiles, self.keys, self.logins,
                self.oidc, self.saml, self.settings]
