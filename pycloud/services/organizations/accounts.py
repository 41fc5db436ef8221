"""Organizations accounts: CreateAccount (a real pycloud account with its access role), the
create-account status, describing, listing, moving and removing member accounts."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import root_arn
from pycloud.protocol.errors import ServiceError
from pycloud.services.organizations import errors, ids
from pycloud.services.organizations.common import OrganizationsBase
from pycloud.services.organizations.managed import DEFAULT_ATTACHMENT
from pycloud.services.organizations.models import Created, CreateRequest, Member, Organization
from pycloud.services.organizations.store import GLOBAL

log = logging.getLogger(__name__)

ACCOUNT_RECORD = ("pycloud", "account")
"""Where declared accounts are persisted (the admin API's records, restored by the app at start)."""
ACCESS_ROLE = "OrganizationAccountAccessRole"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def access_role_trust(management_account: str) -> str:
    """The trust policy of the role CreateAccount puts in a new account: the management account may assume it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": root_arn(management_account)}, "Action": "sts:AssumeRole"}
            ],
        },
        separators=(",", ":"),
    )


class AccountOperations(OrganizationsBase):
    """Member accounts."""

    # -- CreateAccount -----------------------------------------------------------------------------

    def create_account(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Create a new account in the organization's root; it is ready by the time this returns,
        but the answer is the request's IN_PROGRESS status, as AWS answers."""
        org = self._managed_org(ctx)
        role_name = params.get("RoleName") or ACCESS_ROLE
        if role_name.startswith("AWSServiceRoleFor"):
            raise errors.invalid_input(
                "INVALID_ROLE_NAME", "A role name can't begin with the reserved prefix AWSServiceRoleFor."
            )
        tags = self._tags_in(params.get("Tags"))
        now = ctx.now.timestamp()
        request = CreateRequest(ids.create_request_id(), params["AccountName"], "IN_PROGRESS", now)
        answer = request.status()
        if self.store.email_in_use(params["Email"]):
            done = dataclasses.replace(request, state="FAILED", completed=now, failure_reason="EMAIL_ALREADY_EXISTS")
        else:
            account_id = self._register_account(params["AccountName"])
            member = Member(account_id, params["AccountName"], params["Email"], org.root_id, "CREATED", now, tags)
            self.store.put_member(org, member)
            for policy_type in org.policy_types:
                default = DEFAULT_ATTACHMENT.get(policy_type)
                if default is not None:
                    self.store.attach(org, default.id, account_id)
            self._changed()
            self._ensure_access_role(org, account_id, role_name)
            done = dataclasses.replace(request, state="SUCCEEDED", completed=now, account_id=account_id)
        self.store.tables.requests.put(org.id, GLOBAL, done.id, done)
        return {"CreateAccountStatus": answer}

    def _register_account(self, name: str) -> str:
        """A new account id registered with pycloud's credentials and persisted for restarts; its
        root's key has a secret nobody is told (AWS gives a created account no root keys either)."""
        credentials = self.runtime.credentials
        account_id = ids.account_id()
        while account_id in credentials.accounts or self.store.organization_of(account_id) is not None:
            account_id = ids.account_id()
        access_key, secret = ids.root_access_key()
        credentials.add_account(account_id, access_key, secret, name)
        self.runtime.state.put(
            *ACCOUNT_RECORD,
            account_id,
            GLOBAL,
            access_key,
            {"id": account_id, "access_key": access_key, "secret_key": secret, "name": name},
        )
        self.store.tables.created.put(GLOBAL, GLOBAL, account_id, Created(account_id, access_key))
        return account_id

    def _forget_created_accounts(self) -> None:
        """Unregister every account CreateAccount made (admin reset)."""
        credentials = self.runtime.credentials
        for _, _, account_id, item in self.store.tables.created:
            credentials.remove(item.root_key)
            credentials.accounts.pop(account_id, None)
            self.runtime.state.delete(*ACCOUNT_RECORD, account_id, GLOBAL, item.root_key)

    def _ensure_access_role(self, org: Organization, account_id: str, role_name: str) -> None:
        """The role the management account assumes to administer the new account, made by IAM."""
        iam = None
        try:
            iam = self.runtime.policies.iam() if self.runtime.policies is not None else None
        except ImportError:  # IAM not installed in this build: the account works, without the role
            pass
        ensure = getattr(iam, "ensure_role", None)
        if ensure is None:
            log.warning("IAM is not available: account %s was created without role %s", account_id, role_name)
            return
        try:
            ensure(account_id, role_name, access_role_trust(org.master_account_id), [ADMINISTRATOR_ACCESS])
        except ServiceError as exc:
            log.warning("role %s in new account %s was not created: %s", role_name, account_id, exc.message)

    def describe_create_account_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        found = self.store.tables.requests.get(org.id, GLOBAL, params["CreateAccountRequestId"])
        if found is None:
            raise errors.create_status_not_found()
        return {"CreateAccountStatus": found.status()}

    def list_create_account_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        states = set(params.get("States") or ())
        found = [r for r in self.store.tables.requests.values(org.id, GLOBAL) if not states or r.state in states]
        page, more = self._page(params, found, lambda r: f"{r.requested:017.6f}/{r.id}", "ListCreateAccountStatus")
        return {"CreateAccountStatuses": [r.status() for r in page], **more}

    # -- member accounts ---------------------------------------------------------------------------

    def _member(self, org: Organization, account_id: str) -> Member:
        member = self.store.member(org, account_id)
        if member is None:
            raise errors.account_not_found()
        return member

    def describe_account(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        return {"Account": self._account_shape(org, self._member(org, params["AccountId"]))}

    def list_accounts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        page, more = self._page(params, self.store.members(org), lambda m: m.id, "ListAccounts")
        return {"Accounts": [self._account_shape(org, m) for m in page], **more}

    def list_accounts_for_parent(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        parent_id = params["ParentId"]
        if not self.store.is_parent(org, parent_id):
            raise errors.parent_not_found()
        members = self.store.child_members(org, parent_id)
        page, more = self._page(params, members, lambda m: m.id, "ListAccountsForParent")
        return {"Accounts": [self._account_shape(org, m) for m in page], **more}

    def move_account(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Move an account from its parent (which SourceParentId must name) to another root or OU."""
        org = self._managed_org(ctx)
        member = self._member(org, params["AccountId"])
        source, destination = params["SourceParentId"], params["DestinationParentId"]
        if not self.store.is_parent(org, source):
            raise errors.source_parent_not_found()
        if not self.store.is_parent(org, destination):
            raise errors.destination_parent_not_found()
        if member.parent_id == destination:
            raise errors.duplicate_account()
        if member.parent_id != source:
            raise errors.source_parent_not_found()
        self.store.put_member(org, dataclasses.replace(member, parent_id=destination))
        self._changed()
        return {}

    def remove_account_from_organization(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The account leaves the organization and stays a standalone pycloud account."""
        org = self._managed_org(ctx)
        account_id = params["AccountId"]
        if account_id == org.master_account_id:
            raise errors.master_cannot_leave()
        self._member(org, account_id)
        self.store.drop_member(org, account_id)
        self._changed()
        return {}

    def leave_organization(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A member account removes itself; the management account cannot."""
        org = self._member_org(ctx)
        if ctx.account_id == org.master_account_id:
            raise errors.master_cannot_leave()
        self.store.drop_member(org, ctx.account_id)
        self._changed()
        return {}
