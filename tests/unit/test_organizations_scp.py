"""Organizations called directly: the SCP levels authorization reads, checked against the policy
engine (deny-list and allow-list strategies), their memo and generation bumps, the access role
CreateAccount asks IAM for, and persistence across a reopen of the state store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pycloud.clock import Clock
from pycloud.context import Principal, RequestContext
from pycloud.events import EventBus
from pycloud.iam.credentials import CredentialStore
from pycloud.iam.directory import PolicyDirectory
from pycloud.iam.policy import EXPLICIT_DENY, IMPLICIT_DENY, AuthRequest, evaluate
from pycloud.iam.policy import Principal as AuthPrincipal
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import ServiceRuntime
from pycloud.services.organizations.provider import OrganizationsProvider
from pycloud.state.store import StateStore

MANAGEMENT = "000000000000"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FULL_ACCESS_ARN = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def statement(effect: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]})


class Services:
    """The providers a PolicyDirectory reaches, created on first use as the dispatcher does."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.live: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self.live:
            if service == "iam":
                from pycloud.services.iam.provider import IamProvider

                self.live[service] = IamProvider(self.runtime)
            elif service == "organizations":
                self.live[service] = OrganizationsProvider(self.runtime)
            else:
                return None
        return self.live[service]


def make_runtime(path) -> ServiceRuntime:
    directory = PolicyDirectory()
    runtime = ServiceRuntime(Clock(), StateStore.open(path), EventBus(), CredentialStore(), policies=directory)
    directory.attach(Services(runtime))
    return runtime


@pytest.fixture
def runtime(tmp_path):
    runtime = make_runtime(tmp_path / "state")
    yield runtime
    runtime.state.close()


@pytest.fixture
def orgs(runtime) -> OrganizationsProvider:
    return runtime.policies.provider("organizations")


def ctx(account: str = MANAGEMENT) -> RequestContext:
    principal = Principal(account, f"arn:aws:iam::{account}:root", "root", "test")
    return RequestContext("req-1", "organizations", "", "us-east-1", account, principal, NOW)


def call(provider: OrganizationsProvider, operation: str, account: str = MANAGEMENT, **params: Any) -> dict:
    return getattr(provider, operation)(ctx(account), params)


def error_of(provider: OrganizationsProvider, operation: str, **params: Any) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        call(provider, operation, **params)
    return info.value


def new_account(orgs: OrganizationsProvider, name: str = "member") -> str:
    status = call(orgs, "create_account", Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    done = call(orgs, "describe_create_account_status", CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED"
    return done["AccountId"]


@pytest.fixture
def tree(orgs) -> dict[str, str]:
    """An organization with SCPs enabled: root → ou → member account."""
    call(orgs, "create_organization", FeatureSet="ALL")
    root = call(orgs, "list_roots")["Roots"][0]["Id"]
    call(orgs, "enable_policy_type", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = call(orgs, "create_organizational_unit", ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    account = new_account(orgs)
    call(orgs, "move_account", AccountId=account, SourceParentId=root, DestinationParentId=ou)
    return {"root": root, "ou": ou, "account": account}


def decide(levels, account: str, action: str, resource: str = "*"):
    """The engine's decision for an IAM user of ``account`` allowed everything by its own policy."""
    user = AuthPrincipal.from_arn(f"arn:aws:iam::{account}:user/dev")
    return evaluate(AuthRequest(user, action, resource), identity=[ALLOW_ALL], scps=levels)


def new_policy(orgs: OrganizationsProvider, name: str, content: str) -> str:
    created = call(orgs, "create_policy", Name=name, Description="", Type="SERVICE_CONTROL_POLICY", Content=content)
    return created["Policy"]["PolicySummary"]["Id"]


# -- when there are no levels ---------------------------------------------------------------------


def test_no_levels_outside_an_organization_for_the_management_account_or_without_scps(orgs):
    assert orgs.scp_levels("123456789012") is None
    call(orgs, "create_organization")
    member = new_account(orgs)
    assert orgs.scp_levels(MANAGEMENT) is None
    assert orgs.scp_levels(member) is None  # SCPs not enabled yet
    root = call(orgs, "list_roots")["Roots"][0]["Id"]
    call(orgs, "enable_policy_type", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert orgs.scp_levels(MANAGEMENT) is None  # the management account is never bound by SCPs
    assert orgs.scp_levels(member) is not None


def test_levels_run_root_to_ou_to_account_with_full_access_by_default(orgs, tree):
    levels = orgs.scp_levels(tree["account"])
    assert [[p.name for p in level] for level in levels] == [[FULL_ACCESS_ARN]] * 3
    assert decide(levels, tree["account"], "sqs:SendMessage").allowed


# -- the two strategies, through the engine -------------------------------------------------------


def test_deny_list_scp_on_an_ou_denies_the_member_account(orgs, tree):
    deny = new_policy(orgs, "no-s3", statement("Deny", "s3:*"))
    call(orgs, "attach_policy", PolicyId=deny, TargetId=tree["ou"])
    levels = orgs.scp_levels(tree["account"])
    assert len(levels[1]) == 2 and any(p.name.endswith(f"/service_control_policy/{deny}") for p in levels[1])
    decision = decide(levels, tree["account"], "s3:GetObject", "arn:aws:s3:::bucket/key")
    assert decision.outcome == EXPLICIT_DENY and decision.policy_type == "service control policy"
    assert decide(levels, tree["account"], "sqs:SendMessage").allowed


def test_allow_list_strategy_allows_only_what_the_scp_names(orgs, tree):
    only_s3 = new_policy(orgs, "only-s3", statement("Allow", "s3:*"))
    call(orgs, "attach_policy", PolicyId=only_s3, TargetId=tree["ou"])
    call(orgs, "detach_policy", PolicyId="p-FullAWSAccess", TargetId=tree["ou"])
    levels = orgs.scp_levels(tree["account"])
    assert decide(levels, tree["account"], "s3:PutObject", "arn:aws:s3:::bucket/key").allowed
    decision = decide(levels, tree["account"], "sqs:SendMessage")
    assert decision.outcome == IMPLICIT_DENY and decision.policy_type == "service control policy"


def test_a_policy_update_changes_what_is_denied(orgs, tree):
    deny = new_policy(orgs, "no-sqs", statement("Deny", "sqs:*"))
    call(orgs, "attach_policy", PolicyId=deny, TargetId=tree["account"])
    assert not decide(orgs.scp_levels(tree["account"]), tree["account"], "sqs:SendMessage").allowed
    call(orgs, "update_policy", PolicyId=deny, Content=statement("Deny", "ec2:*"))
    assert decide(orgs.scp_levels(tree["account"]), tree["account"], "sqs:SendMessage").allowed
    assert not decide(orgs.scp_levels(tree["account"]), tree["account"], "ec2:RunInstances").allowed


def test_disabling_scps_detaches_them_and_frees_the_account(orgs, tree):
    deny = new_policy(orgs, "no-s3", statement("Deny", "s3:*"))
    call(orgs, "attach_policy", PolicyId=deny, TargetId=tree["root"])
    call(orgs, "disable_policy_type", RootId=tree["root"], PolicyType="SERVICE_CONTROL_POLICY")
    assert orgs.scp_levels(tree["account"]) is None
    assert call(orgs, "list_targets_for_policy", PolicyId=deny)["Targets"] == []


def test_moving_or_removing_the_account_changes_its_levels(orgs, tree):
    deny = new_policy(orgs, "no-s3", statement("Deny", "s3:*"))
    call(orgs, "attach_policy", PolicyId=deny, TargetId=tree["ou"])
    call(orgs, "move_account", AccountId=tree["account"], SourceParentId=tree["ou"], DestinationParentId=tree["root"])
    levels = orgs.scp_levels(tree["account"])
    assert len(levels) == 2 and decide(levels, tree["account"], "s3:GetObject").allowed
    call(orgs, "remove_account_from_organization", AccountId=tree["account"])
    assert orgs.scp_levels(tree["account"]) is None


# -- memo and generation ----------------------------------------------------------------------------


def test_levels_are_memoised_until_a_change_which_bumps_the_generation(runtime, orgs, tree):
    first = orgs.scp_levels(tree["account"])
    assert orgs.scp_levels(tree["account"]) is first
    generation = runtime.policies.generation
    deny = new_policy(orgs, "no-s3", statement("Deny", "s3:*"))
    assert runtime.policies.generation == generation  # an unattached policy binds nobody
    call(orgs, "attach_policy", PolicyId=deny, TargetId=tree["root"])
    assert runtime.policies.generation > generation
    assert orgs.scp_levels(tree["account"]) is not first
    assert runtime.policies.scp_levels(tree["account"]) == orgs.scp_levels(tree["account"])


def test_every_structural_change_bumps_the_generation(runtime, orgs, tree):
    changes = [
        lambda: call(orgs, "create_organizational_unit", ParentId=tree["root"], Name="more"),
        lambda: call(
            orgs, "move_account", AccountId=tree["account"], SourceParentId=tree["ou"], DestinationParentId=tree["root"]
        ),
        lambda: new_account(orgs, "second"),
        lambda: call(orgs, "disable_policy_type", RootId=tree["root"], PolicyType="SERVICE_CONTROL_POLICY"),
    ]
    for change in changes:
        before = runtime.policies.generation
        change()
        assert runtime.policies.generation > before


# -- CreateAccount: a real account with its access role ------------------------------------------


def test_created_account_is_registered_and_has_the_access_role_from_iam(runtime, orgs):
    call(orgs, "create_organization")
    account = new_account(orgs, "builder")
    assert account in runtime.credentials.accounts and runtime.credentials.accounts[account].name == "builder"
    role = runtime.policies.iam().role(account, "OrganizationAccountAccessRole")
    assert role is not None
    trust = json.loads(role.assume_role_policy_document)
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    assert trust["Statement"][0]["Action"] == "sts:AssumeRole"
    assert role.attached == ["arn:aws:iam::aws:policy/AdministratorAccess"]


def test_role_name_parameter_overrides_the_access_role_name(runtime, orgs):
    call(orgs, "create_organization")
    status = call(orgs, "create_account", Email="ops@example.com", AccountName="ops", RoleName="Admin")
    account = call(orgs, "describe_create_account_status", CreateAccountRequestId=status["CreateAccountStatus"]["Id"])
    account_id = account["CreateAccountStatus"]["AccountId"]
    iam = runtime.policies.iam()
    assert iam.role(account_id, "Admin") is not None and iam.role(account_id, "OrganizationAccountAccessRole") is None


# -- persistence -------------------------------------------------------------------------------------


def test_the_organization_survives_reopening_the_state(tmp_path):
    runtime = make_runtime(tmp_path / "state")
    orgs = runtime.policies.provider("organizations")
    call(orgs, "create_organization")
    root = call(orgs, "list_roots")["Roots"][0]["Id"]
    call(orgs, "enable_policy_type", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    account = new_account(orgs)
    deny = new_policy(orgs, "no-s3", statement("Deny", "s3:*"))
    call(orgs, "attach_policy", PolicyId=deny, TargetId=account)
    before = orgs.scp_levels(account)
    runtime.state.close()

    reopened = make_runtime(tmp_path / "state")
    again = reopened.policies.provider("organizations")
    assert again.scp_levels(account) == before
    assert {a["Id"] for a in call(again, "list_accounts")["Accounts"]} == {MANAGEMENT, account}
    assert call(again, "describe_organization")["Organization"]["MasterAccountId"] == MANAGEMENT
    reopened.state.close()


def test_reset_forgets_organizations_and_the_accounts_they_created(runtime, orgs):
    call(orgs, "create_organization")
    account = new_account(orgs)
    orgs.reset()
    assert account not in runtime.credentials.accounts
    assert error_of(orgs, "describe_organization").code == "AWSOrganizationsNotInUseException"


def test_reserved_role_name_prefix_is_refused(orgs):
    call(orgs, "create_organization")
    err = error_of(orgs, "create_account", Email="x@example.com", AccountName="x", RoleName="AWSServiceRoleForX")
    assert (err.code, err.fields["Reason"]) == ("InvalidInputException", "INVALID_ROLE_NAME")


def test_a_member_leaves_on_its_own_but_the_management_account_cannot(orgs, tree):
    call(orgs, "leave_organization", account=tree["account"])
    assert orgs.scp_levels(tree["account"]) is None
    assert error_of(orgs, "leave_organization").code == "MasterCannotLeaveOrganizationException"
