"""What IAM offers the rest of pycloud: the identity side of every caller (authorization runs it on
each request of an IAM user or role session, so it is memoised per principal and generation) and
the ``IamDirectory`` lookups STS and Organizations use."""

from __future__ import annotations

from typing import Any

from pycloud.context import Principal
from pycloud.iam.directory import IdentityPolicies
from pycloud.iam.policy import NamedPolicy, PolicyError, parse_policy
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.models import Role, User

_EMPTY = IdentityPolicies()
_GONE = IdentityPolicies(exists=False)


def _name_in(arn: str, marker: str) -> str:
    """The name after ``marker`` in an ARN's resource (``assumed-role/`` → the role's name)."""
    resource = arn.split(":", 5)[-1]
    return resource[len(marker):].split("/", 1)[0] if resource.startswith(marker) else ""


class DirectoryOperations(IamBase):
    """``IdentitySource`` and ``IamDirectory`` (see ``pycloud/iam/directory.py``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._identity_cache: dict[tuple[str, str, str], tuple[int, IdentityPolicies]] = {}

    def _named(self, account: str, entity: Any, extra: list[Any] = ()) -> list[NamedPolicy]:  # type: ignore[assignment]
        out: list[NamedPolicy] = []
        for holder in (entity, *extra):
            for name, document in holder.inline.items():
                out.append(NamedPolicy(f"inline:{name}", self._compiled(document)))
            for arn in holder.attached:
                document = self._policy_document(account, arn)
                if document is not None:
                    out.append(NamedPolicy(arn, self._compiled(document)))
        return out

    @staticmethod
    def _compiled(document: str) -> Any:
        try:
            return parse_policy(document)
        except PolicyError:  # stored documents were validated; keep the text if the engine changed
            return document

    def _boundary(self, account: str, arn: str) -> NamedPolicy | None:
        if not arn:
            return None
        document = self._policy_document(account, arn)
        return NamedPolicy(arn, self._compiled(document)) if document is not None else None

    def _user_view(self, account: str, user: User | None) -> IdentityPolicies:
        if user is None:
            return _GONE
        groups = [g for g in (self.tables.groups.get(account, G, k) for k in user.groups) if g is not None]
        return IdentityPolicies(tuple(self._named(account, user, groups)), self._boundary(account, user.boundary),
                                dict(user.tags), True, user.arn)

    def _role_view(self, account: str, role: Role | None) -> IdentityPolicies:
        if role is None:
            return _GONE
        return IdentityPolicies(tuple(self._named(account, role)), self._boundary(account, role.boundary),
                                dict(role.tags), True, role.arn)

    def identity_policies(self, principal: Principal) -> IdentityPolicies:
        """The identity side of ``principal``: a user with its groups, or the role behind a session."""
        if principal.kind not in ("user", "assumed-role", "federated-user"):
            return _EMPTY
        session = principal.session
        source = getattr(session, "source_arn", "") or ""
        cache_key = (principal.kind, principal.arn, source)
        cached = self._identity_cache.get(cache_key)
        if cached is not None and cached[0] == self.generation:
            return cached[1]
        account = principal.account_id
        if principal.kind == "assumed-role":
            name = source.rsplit("/", 1)[-1] if source else _name_in(principal.arn, "assumed-role/")
            view = self._role_view(account, self.tables.roles.get(account, G, name.lower()))
        else:
            arn = source if principal.kind == "federated-user" or (session is not None and source) else principal.arn
            user = self.tables.users.get(account, G, arn.rsplit("/", 1)[-1].lower()) if ":user/" in arn else None
            view = self._user_view(account, user)
        if len(self._identity_cache) > 10000:
            self._identity_cache.clear()
        self._identity_cache[cache_key] = (self.generation, view)
        return view

    # -- IamDirectory ------------------------------------------------------------------------------

    def role(self, account_id: str, name: str) -> Role | None:
        """The role named ``name`` (no path) in ``account_id``."""
        return self.tables.roles.get(account_id, G, name.lower())

    def oidc_provider(self, account_id: str, arn: str) -> Any:
        """The OIDC provider at ``arn`` or None."""
        return self.tables.oidc.get(account_id, G, arn)

    def saml_provider(self, account_id: str, arn: str) -> Any:
        """The SAML provider at ``arn`` or None."""
        return self.tables.saml.get(account_id, G, arn)

    def ensure_role(
        self, account_id: str, name: str, trust_policy: str, managed_policy_arns: list[str], description: str = ""
    ) -> Role:
        """Create the role with these managed policies attached unless it exists."""
        with self._lock:
            role = self.tables.roles.get(account_id, G, name.lower())
            if role is None:
                role = self._new_role(account_id, name, "/", trust_policy, self._now(), description=description)
                role.attached = [arn for arn in managed_policy_arns if self._policy_document(account_id, arn)]
                self.tables.roles.put(account_id, G, name.lower(), role)
        self._changed()
        return role

    def _new_role(self, *args: Any, **kwargs: Any) -> Role:
        raise NotImplementedError  # provided by RoleOperations

    def entity(self, account_id: str, kind: str, name: str) -> tuple[str, dict[str, str]] | None:
        """The ARN (with its path) and tags of the ``user``, ``group``, ``role`` or
        ``instance-profile`` named ``name`` in ``account_id``, or None when there is none
        (authorization's resources and ``aws:ResourceTag`` keys)."""
        table = {"user": self.tables.users, "group": self.tables.groups, "role": self.tables.roles,
                 "instance-profile": self.tables.profiles}.get(kind)
        found = table.get(account_id, G, name.lower()) if table is not None else None
        return (found.arn, dict(getattr(found, "tags", None) or {})) if found is not None else None

