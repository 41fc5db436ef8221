"""Organizations through boto3 against a live server: the organization's lifecycle, CreateAccount
(real pycloud accounts), member accounts, OUs and the tree, and their errors.

The organization is global to a server, so this module runs a server of its own. The default
account's root is the caller and becomes the management account.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote

import pytest
from s3_helpers import code_status, error_of

from pycloud.testing.plugin import private_server_fixture

pycloud = private_server_fixture()

OUTSIDER = {"id": "210987654321", "access_key": "AKIAORGSOUTSIDER0001", "secret_key": "outsider", "name": "outsider"}
FOUNDER = {"id": "312345678901", "access_key": "AKIAORGSFOUNDER00001", "secret_key": "founder", "name": "founder"}


def client_of(server, account: dict[str, str]):
    return server.client("organizations", access_key=account["access_key"], secret_key=account["secret_key"])


@pytest.fixture(scope="module")
def orgs(pycloud):
    for account in (OUTSIDER, FOUNDER):
        pycloud.admin("POST", "/_pycloud/accounts", account)
    client = pycloud.client("organizations")
    client.create_organization(FeatureSet="ALL")
    return client


@pytest.fixture(scope="module")
def root(orgs) -> str:
    return orgs.list_roots()["Roots"][0]["Id"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_account(orgs, name: str | None = None, **extra) -> str:
    name = name or unique("acct")
    status = orgs.create_account(Email=f"{name}@example.com", AccountName=name, **extra)["CreateAccountStatus"]
    assert status["State"] == "IN_PROGRESS" and status["Id"].startswith("car-")
    done = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED", done
    return done["AccountId"]


# -- the organization -------------------------------------------------------------------------------


def test_describe_organization_shows_the_caller_as_management_account(orgs):
    org = orgs.describe_organization()["Organization"]
    assert org["Id"].startswith("o-") and len(org["Id"]) == 12
    assert org["Arn"] == f"arn:aws:organizations::000000000000:organization/{org['Id']}"
    assert org["MasterAccountId"] == "000000000000"
    assert org["MasterAccountArn"] == f"arn:aws:organizations::000000000000:account/{org['Id']}/000000000000"
    assert org["FeatureSet"] == "ALL"


def test_list_roots_gives_the_one_root(orgs, root):
    org_id = orgs.describe_organization()["Organization"]["Id"]
    (found,) = orgs.list_roots()["Roots"]
    assert found["Id"] == root and root.startswith("r-")
    assert found["Arn"] == f"arn:aws:organizations::000000000000:root/{org_id}/{root}"
    assert found["Name"] == "Root"


def test_a_second_organization_is_refused_to_its_members(orgs):
    assert code_status(error_of(orgs.create_organization)) == ("AlreadyInOrganizationException", 400)


def test_outsiders_get_not_in_use_and_cannot_read_the_organization(pycloud, orgs):
    outsider = client_of(pycloud, OUTSIDER)
    for call in (outsider.describe_organization, outsider.list_accounts, outsider.list_roots):
        assert code_status(error_of(call)) == ("AWSOrganizationsNotInUseException", 400)


def test_another_account_founds_its_own_organization_and_deletes_it(pycloud, orgs):
    founder = client_of(pycloud, FOUNDER)
    created = founder.create_organization(FeatureSet="CONSOLIDATED_BILLING")["Organization"]
    assert created["MasterAccountId"] == FOUNDER["id"]
    assert created["Id"] != orgs.describe_organization()["Organization"]["Id"]
    assert created["AvailablePolicyTypes"] == []
    member = create_account(founder)
    assert code_status(error_of(founder.delete_organization)) == ("OrganizationNotEmptyException", 400)
    founder_root = founder.list_roots()["Roots"][0]["Id"]
    err = error_of(founder.enable_policy_type, RootId=founder_root, PolicyType="SERVICE_CONTROL_POLICY")
    assert code_status(err) == ("PolicyTypeNotAvailableForOrganizationException", 400)
    founder.remove_account_from_organization(AccountId=member)
    founder.delete_organization()
    assert code_status(error_of(founder.describe_organization)) == ("AWSOrganizationsNotInUseException", 400)
    # The default account's organization is untouched.
    assert orgs.describe_organization()["Organization"]["MasterAccountId"] == "000000000000"


# -- CreateAccount ------------------------------------------------------------------------------------


def test_create_account_makes_a_real_account_in_the_root(pycloud, orgs, root):
    name = unique("team")
    account_id = create_account(orgs, name)
    assert len(account_id) == 12 and account_id.isdigit()
    described = orgs.describe_account(AccountId=account_id)["Account"]
    org_id = orgs.describe_organization()["Organization"]["Id"]
    assert described["Name"] == name and described["Email"] == f"{name}@example.com"
    assert described["Arn"] == f"arn:aws:organizations::000000000000:account/{org_id}/{account_id}"
    assert (described["Status"], described["JoinedMethod"]) == ("ACTIVE", "CREATED")
    assert described["Paths"] == [f"{org_id}/{root}/{account_id}/"]
    known = {a["id"]: a for a in pycloud.admin("GET", "/_pycloud/accounts")["accounts"]}
    assert known[account_id]["name"] == name  # registered with the server like a declared account
    assert account_id in {c["Id"] for c in orgs.list_children(ParentId=root, ChildType="ACCOUNT")["Children"]}


def test_create_account_status_listing_and_filter(orgs):
    name = unique("listed")
    request = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["Id"]
    everything = orgs.get_paginator("list_create_account_status").paginate(States=["SUCCEEDED"])
    ids = {s["Id"] for page in everything for s in page["CreateAccountStatuses"]}
    assert request in ids
    assert not orgs.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]


def test_create_account_with_an_email_in_use_fails_asynchronously(orgs):
    name = unique("dup")
    create_account(orgs, name)
    status = orgs.create_account(Email=f"{name}@example.com", AccountName="other")["CreateAccountStatus"]
    done = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert (done["State"], done["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert "AccountId" not in done


def test_unknown_create_account_request(orgs):
    err = error_of(orgs.describe_create_account_status, CreateAccountRequestId="car-" + "0" * 32)
    assert code_status(err) == ("CreateAccountStatusNotFoundException", 400)


def declare_root_key(server, account_id: str) -> dict[str, str]:
    """Give a created account's root a key through the admin API (AWS hands out none)."""
    key = {"id": account_id, "access_key": f"AKIAROOT{account_id}", "secret_key": f"root-{account_id}"}
    server.admin("POST", "/_pycloud/accounts", key)
    return key


def test_created_account_has_the_access_role_trusting_the_management_account(pycloud, orgs):
    account_id = create_account(orgs)
    key = declare_root_key(pycloud, account_id)
    iam = pycloud.client("iam", access_key=key["access_key"], secret_key=key["secret_key"])
    role = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}
    ]
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]


def test_role_name_overrides_the_access_role(pycloud, orgs):
    account_id = create_account(orgs, RoleName="OrgAdmin")
    key = declare_root_key(pycloud, account_id)
    iam = pycloud.client("iam", access_key=key["access_key"], secret_key=key["secret_key"])
    assert iam.get_role(RoleName="OrgAdmin")["Role"]["RoleName"] == "OrgAdmin"
    assert code_status(error_of(iam.get_role, RoleName="OrganizationAccountAccessRole")) == ("NoSuchEntity", 404)


def test_a_management_user_assumes_the_access_role_with_administrator_access(pycloud, orgs):
    """Roots may not assume roles, so an IAM user of the management account does."""
    account_id = create_account(orgs)
    role_arn = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    iam = pycloud.client("iam")
    user = unique("admin")
    iam.create_user(UserName=user)
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
    iam.put_user_policy(
        UserName=user, PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]})
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = pycloud.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="admin")["Credentials"]
    session = {
        "access_key": creds["AccessKeyId"],
        "secret_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    assert pycloud.client("sts", **session).get_caller_identity()["Account"] == account_id
    names = [r["RoleName"] for r in pycloud.client("iam", **session).list_roles()["Roles"]]
    assert "OrganizationAccountAccessRole" in names  # AdministratorAccess inside the new account


# -- member accounts --------------------------------------------------------------------------------


def test_list_accounts_pages_and_includes_the_management_account(orgs):
    for _ in range(3):
        create_account(orgs)
    first = orgs.list_accounts(MaxResults=2)
    assert len(first["Accounts"]) == 2 and first["NextToken"]
    pages = orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2})
    ids = [a["Id"] for page in pages for a in page["Accounts"]]
    assert len(ids) == len(set(ids)) >= 4 and "000000000000" in ids
    assert code_status(error_of(orgs.list_accounts, NextToken="garbage")) == ("InvalidInputException", 400)


def test_members_may_not_manage_the_organization(pycloud, orgs):
    """A member account sees its organization but gets AccessDenied for management operations."""
    member = create_account(orgs)
    key = {"id": member, "access_key": f"AKIAMEMBER{member}", "secret_key": "member-secret", "name": "m"}
    pycloud.admin("POST", "/_pycloud/accounts", key)  # a usable root key for the created account
    client = client_of(pycloud, key)
    assert client.describe_organization()["Organization"]["MasterAccountId"] == "000000000000"
    assert code_status(error_of(client.list_accounts)) == ("AccessDeniedException", 400)
    assert code_status(error_of(client.create_account, Email="x@example.com", AccountName="x")) == (
        "AccessDeniedException",
        400,
    )


def test_describe_unknown_account(orgs):
    assert code_status(error_of(orgs.describe_account, AccountId="999999999999")) == ("AccountNotFoundException", 400)


def test_move_account_between_root_and_ou_and_its_errors(orgs, root):
    account = create_account(orgs)
    ou = orgs.create_organizational_unit(ParentId=root, Name=unique("move"))["OrganizationalUnit"]["Id"]
    other = orgs.create_organizational_unit(ParentId=root, Name=unique("other"))["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    assert orgs.list_parents(ChildId=account)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
    assert [a["Id"] for a in orgs.list_accounts_for_parent(ParentId=ou)["Accounts"]] == [account]
    cases = {
        "DuplicateAccountException": dict(SourceParentId=ou, DestinationParentId=ou),
        "SourceParentNotFoundException": dict(SourceParentId=root, DestinationParentId=other),
        "DestinationParentNotFoundException": dict(SourceParentId=ou, DestinationParentId="ou-abcd-zzzzzzzz"),
    }
    for code, parents in cases.items():
        assert code_status(error_of(orgs.move_account, AccountId=account, **parents)) == (code, 400)
    err = error_of(orgs.move_account, AccountId="999999999999", SourceParentId=ou, DestinationParentId=root)
    assert code_status(err) == ("AccountNotFoundException", 400)
    orgs.move_account(AccountId=account, SourceParentId=ou, DestinationParentId=root)
    assert orgs.list_parents(ChildId=account)["Parents"] == [{"Id": root, "Type": "ROOT"}]


def test_remove_account_and_the_management_account_cannot_leave(pycloud, orgs, root):
    account = create_account(orgs)
    orgs.remove_account_from_organization(AccountId=account)
    assert code_status(error_of(orgs.describe_account, AccountId=account)) == ("AccountNotFoundException", 400)
    assert account in {a["id"] for a in pycloud.admin("GET", "/_pycloud/accounts")["accounts"]}  # still an account
    err = error_of(orgs.remove_account_from_organization, AccountId="000000000000")
    assert code_status(err) == ("MasterCannotLeaveOrganizationException", 400)


# -- OUs and the tree ----------------------------------------------------------------------------------


def test_ou_lifecycle(orgs, root):
    org_id = orgs.describe_organization()["Organization"]["Id"]
    name = unique("ou")
    ou = orgs.create_organizational_unit(ParentId=root, Name=name, Tags=[{"Key": "team", "Value": "a"}])
    ou = ou["OrganizationalUnit"]
    assert ou["Id"].startswith(f"ou-{root[2:]}-") and ou["Name"] == name
    assert ou["Arn"] == f"arn:aws:organizations::000000000000:ou/{org_id}/{ou['Id']}"
    assert ou["Path"] == f"{org_id}/{root}/{ou['Id']}/"
    assert orgs.describe_organizational_unit(OrganizationalUnitId=ou["Id"])["OrganizationalUnit"] == ou
    assert orgs.list_tags_for_resource(ResourceId=ou["Id"])["Tags"] == [{"Key": "team", "Value": "a"}]
    renamed = orgs.update_organizational_unit(OrganizationalUnitId=ou["Id"], Name=name + "-x")["OrganizationalUnit"]
    assert renamed["Name"] == name + "-x"
    listed = orgs.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    assert renamed in listed or len(listed) == 20
    orgs.delete_organizational_unit(OrganizationalUnitId=ou["Id"])
    err = error_of(orgs.describe_organizational_unit, OrganizationalUnitId=ou["Id"])
    assert code_status(err) == ("OrganizationalUnitNotFoundException", 400)


def test_ou_names_are_unique_under_one_parent(orgs, root):
    name = unique("same")
    parent = orgs.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
    err = error_of(orgs.create_organizational_unit, ParentId=root, Name=name)
    assert code_status(err) == ("DuplicateOrganizationalUnitException", 400)
    orgs.create_organizational_unit(ParentId=parent, Name=name)  # the same name elsewhere is fine
    sibling = orgs.create_organizational_unit(ParentId=root, Name=name + "-2")["OrganizationalUnit"]["Id"]
    err = error_of(orgs.update_organizational_unit, OrganizationalUnitId=sibling, Name=name)
    assert code_status(err) == ("DuplicateOrganizationalUnitException", 400)


def test_ous_nest_five_levels_deep_at_most(orgs, root):
    parent = root
    for depth in range(5):
        parent = orgs.create_organizational_unit(ParentId=parent, Name=f"level-{depth}")["OrganizationalUnit"]["Id"]
    assert (
        orgs.describe_organizational_unit(OrganizationalUnitId=parent)["OrganizationalUnit"]["Path"].count("/ou-") == 5
    )
    err = error_of(orgs.create_organizational_unit, ParentId=parent, Name="too-deep")
    assert code_status(err) == ("ConstraintViolationException", 400)
    assert err.response["Reason"] == "OU_DEPTH_LIMIT_EXCEEDED"


def test_a_non_empty_ou_cannot_be_deleted(orgs, root):
    ou = orgs.create_organizational_unit(ParentId=root, Name=unique("full"))["OrganizationalUnit"]["Id"]
    child = orgs.create_organizational_unit(ParentId=ou, Name="child")["OrganizationalUnit"]["Id"]
    assert code_status(error_of(orgs.delete_organizational_unit, OrganizationalUnitId=ou)) == (
        "OrganizationalUnitNotEmptyException",
        400,
    )
    orgs.delete_organizational_unit(OrganizationalUnitId=child)
    account = create_account(orgs)
    orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    assert code_status(error_of(orgs.delete_organizational_unit, OrganizationalUnitId=ou)) == (
        "OrganizationalUnitNotEmptyException",
        400,
    )
    orgs.move_account(AccountId=account, SourceParentId=ou, DestinationParentId=root)
    orgs.delete_organizational_unit(OrganizationalUnitId=ou)


def test_children_and_parents(orgs, root):
    ou = orgs.create_organizational_unit(ParentId=root, Name=unique("kids"))["OrganizationalUnit"]["Id"]
    inner = orgs.create_organizational_unit(ParentId=ou, Name="inner")["OrganizationalUnit"]["Id"]
    account = create_account(orgs)
    orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    assert orgs.list_children(ParentId=ou, ChildType="ORGANIZATIONAL_UNIT")["Children"] == [
        {"Id": inner, "Type": "ORGANIZATIONAL_UNIT"}
    ]
    assert orgs.list_children(ParentId=ou, ChildType="ACCOUNT")["Children"] == [{"Id": account, "Type": "ACCOUNT"}]
    assert orgs.list_parents(ChildId=inner)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
    assert orgs.list_parents(ChildId=ou)["Parents"] == [{"Id": root, "Type": "ROOT"}]
    assert code_status(error_of(orgs.list_parents, ChildId="ou-abcd-12345678")) == ("ChildNotFoundException", 400)
    err = error_of(orgs.list_children, ParentId="ou-abcd-12345678", ChildType="ACCOUNT")
    assert code_status(err) == ("ParentNotFoundException", 400)
    err = error_of(orgs.create_organizational_unit, ParentId="r-zzzz", Name="x")
    assert code_status(err) == ("ParentNotFoundException", 400)
