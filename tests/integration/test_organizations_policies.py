"""Organizations policies through boto3 against a live server: policy types on the root (and the
FullAWSAccess attachments they bring), SCPs and their validation, attachments and the lookups
between policies and targets, tags, and an organization surviving a restart.

The organization is global to a server, so this module runs a server of its own."""

from __future__ import annotations

import json
import uuid

import pytest
from s3_helpers import code_status, error_of

from pycloud.testing.plugin import private_server_fixture
from pycloud.testing.server import PycloudServer

pycloud = private_server_fixture()

SCP = "SERVICE_CONTROL_POLICY"
FULL = "p-FullAWSAccess"
FULL_ARN = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
SECOND = {"id": "412345678901", "access_key": "AKIAORGSSECONDMGMT01", "secret_key": "second", "name": "second"}


def document(effect: str = "Deny", action: str = "s3:*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_account(orgs) -> str:
    name = unique("acct")
    status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    return orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]["AccountId"]


def new_policy(orgs, content: str | None = None, **extra) -> dict:
    created = orgs.create_policy(
        Name=unique("scp"), Description="test policy", Type=SCP, Content=content or document(), **extra
    )
    return created["Policy"]


def attached_ids(orgs, target: str) -> list[str]:
    return sorted(p["Id"] for p in orgs.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"])


@pytest.fixture(scope="module")
def orgs(pycloud):
    client = pycloud.client("organizations")
    client.create_organization(FeatureSet="ALL")
    return client


@pytest.fixture(scope="module")
def root(orgs) -> str:
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    enabled = orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)["Root"]
    assert enabled["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    return root_id


# -- policy types ----------------------------------------------------------------------------------


def test_enabling_scps_attaches_full_access_everywhere_now_and_later(pycloud):
    pycloud.admin("POST", "/_pycloud/accounts", SECOND)
    second = pycloud.client("organizations", access_key=SECOND["access_key"], secret_key=SECOND["secret_key"])
    second.create_organization()
    root_id = second.list_roots()["Roots"][0]["Id"]
    assert second.list_roots()["Roots"][0]["PolicyTypes"] == []
    existing_ou = second.create_organizational_unit(ParentId=root_id, Name="before")["OrganizationalUnit"]["Id"]
    existing_account = new_account(second)
    err = error_of(second.attach_policy, PolicyId=FULL, TargetId=existing_ou)
    assert code_status(err) == ("PolicyTypeNotEnabledException", 400)

    second.enable_policy_type(RootId=root_id, PolicyType=SCP)
    for target in (root_id, existing_ou, existing_account, SECOND["id"]):
        assert attached_ids(second, target) == [FULL]
    later_ou = second.create_organizational_unit(ParentId=root_id, Name="after")["OrganizationalUnit"]["Id"]
    later_account = new_account(second)
    assert attached_ids(second, later_ou) == [FULL] and attached_ids(second, later_account) == [FULL]
    assert code_status(error_of(second.enable_policy_type, RootId=root_id, PolicyType=SCP)) == (
        "PolicyTypeAlreadyEnabledException",
        400,
    )
    assert code_status(error_of(second.enable_policy_type, RootId="r-zzzz", PolicyType=SCP)) == (
        "RootNotFoundException",
        400,
    )

    disabled = second.disable_policy_type(RootId=root_id, PolicyType=SCP)["Root"]
    assert disabled["PolicyTypes"] == []
    assert second.list_targets_for_policy(PolicyId=FULL)["Targets"] == []
    assert code_status(error_of(second.disable_policy_type, RootId=root_id, PolicyType=SCP)) == (
        "PolicyTypeNotEnabledException",
        400,
    )


# -- policies ----------------------------------------------------------------------------------------


def test_create_describe_update_delete_policy(orgs, root):
    org_id = orgs.describe_organization()["Organization"]["Id"]
    policy = new_policy(orgs, Tags=[{"Key": "owner", "Value": "sec"}])
    summary = policy["PolicySummary"]
    assert summary["Id"].startswith("p-") and summary["Type"] == SCP and summary["AwsManaged"] is False
    assert (
        summary["Arn"] == f"arn:aws:organizations::000000000000:policy/{org_id}/service_control_policy/{summary['Id']}"
    )
    assert json.loads(policy["Content"]) == json.loads(document())
    assert orgs.describe_policy(PolicyId=summary["Id"])["Policy"] == policy
    assert orgs.list_tags_for_resource(ResourceId=summary["Id"])["Tags"] == [{"Key": "owner", "Value": "sec"}]

    updated = orgs.update_policy(
        PolicyId=summary["Id"], Name="renamed-" + summary["Id"], Content=document("Deny", "sqs:*")
    )
    assert updated["Policy"]["PolicySummary"]["Name"] == "renamed-" + summary["Id"]
    assert "sqs:*" in updated["Policy"]["Content"]
    assert updated["Policy"]["PolicySummary"]["Description"] == "test policy"

    orgs.delete_policy(PolicyId=summary["Id"])
    assert code_status(error_of(orgs.describe_policy, PolicyId=summary["Id"])) == ("PolicyNotFoundException", 400)


def test_full_aws_access_is_listed_described_and_immutable(orgs, root):
    described = orgs.describe_policy(PolicyId=FULL)["Policy"]
    assert described["PolicySummary"]["Arn"] == FULL_ARN and described["PolicySummary"]["AwsManaged"] is True
    assert json.loads(described["Content"])["Statement"][0] == {"Effect": "Allow", "Action": "*", "Resource": "*"}
    listed = orgs.list_policies(Filter=SCP)["Policies"]
    assert FULL in {p["Id"] for p in listed}
    assert orgs.list_policies(Filter="TAG_POLICY")["Policies"] == []
    for call in (orgs.delete_policy, lambda **kw: orgs.update_policy(Name="mine", **kw)):
        err = error_of(call, PolicyId=FULL)
        assert code_status(err) == ("InvalidInputException", 400) and err.response["Reason"] == "IMMUTABLE_POLICY"


def test_policy_content_is_validated(orgs, root):
    cases = [
        "not json",
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
            }
        ),
    ]
    for content in cases:
        err = error_of(orgs.create_policy, Name=unique("bad"), Description="", Type=SCP, Content=content)
        assert code_status(err) == ("MalformedPolicyDocumentException", 400), content
    too_long = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "x" * 5200, "Effect": "Deny", "Action": "*", "Resource": "*"}]}
    )
    err = error_of(orgs.create_policy, Name=unique("long"), Description="", Type=SCP, Content=too_long)
    assert code_status(err) == ("ConstraintViolationException", 400)
    assert err.response["Reason"] == "POLICY_CONTENT_LIMIT_EXCEEDED"
    policy = new_policy(orgs)["PolicySummary"]["Id"]
    err = error_of(orgs.update_policy, PolicyId=policy, Content="{")
    assert code_status(err) == ("MalformedPolicyDocumentException", 400)


def test_policy_names_are_unique_per_type(orgs, root):
    name = unique("named")
    orgs.create_policy(Name=name, Description="", Type=SCP, Content=document())
    err = error_of(orgs.create_policy, Name=name, Description="", Type=SCP, Content=document())
    assert code_status(err) == ("DuplicatePolicyException", 400)


def test_list_policies_pages(orgs, root):
    made = {new_policy(orgs)["PolicySummary"]["Id"] for _ in range(3)}
    pages = orgs.get_paginator("list_policies").paginate(Filter=SCP, PaginationConfig={"PageSize": 2})
    seen = [p["Id"] for page in pages for p in page["Policies"]]
    assert made <= set(seen) and len(seen) == len(set(seen))


# -- attachments -------------------------------------------------------------------------------------


def test_attach_list_detach_and_the_targets_of_a_policy(orgs, root):
    ou = orgs.create_organizational_unit(ParentId=root, Name=unique("att"))["OrganizationalUnit"]
    account = new_account(orgs)
    policy = new_policy(orgs)["PolicySummary"]
    for target in (root, ou["Id"], account):
        orgs.attach_policy(PolicyId=policy["Id"], TargetId=target)
    assert attached_ids(orgs, ou["Id"]) == sorted([FULL, policy["Id"]])
    targets = orgs.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
    by_id = {t["TargetId"]: t for t in targets}
    assert set(by_id) == {root, ou["Id"], account}
    assert (by_id[root]["Type"], by_id[root]["Name"]) == ("ROOT", "Root")
    assert (by_id[ou["Id"]]["Type"], by_id[ou["Id"]]["Arn"]) == ("ORGANIZATIONAL_UNIT", ou["Arn"])
    assert by_id[account]["Type"] == "ACCOUNT"

    assert code_status(error_of(orgs.delete_policy, PolicyId=policy["Id"])) == ("PolicyInUseException", 400)
    err = error_of(orgs.attach_policy, PolicyId=policy["Id"], TargetId=account)
    assert code_status(err) == ("DuplicatePolicyAttachmentException", 400)
    for target in (root, ou["Id"], account):
        orgs.detach_policy(PolicyId=policy["Id"], TargetId=target)
    err = error_of(orgs.detach_policy, PolicyId=policy["Id"], TargetId=account)
    assert code_status(err) == ("PolicyNotAttachedException", 400)
    orgs.delete_policy(PolicyId=policy["Id"])


def test_attachment_errors(orgs, root):
    policy = new_policy(orgs)["PolicySummary"]["Id"]
    for target in ("999999999999", "ou-abcd-12345678", "r-zzzz"):
        err = error_of(orgs.attach_policy, PolicyId=policy, TargetId=target)
        assert code_status(err) == ("TargetNotFoundException", 400), target
    err = error_of(orgs.attach_policy, PolicyId="p-0000000000", TargetId=root)
    assert code_status(err) == ("PolicyNotFoundException", 400)
    err = error_of(orgs.list_policies_for_target, TargetId="999999999999", Filter=SCP)
    assert code_status(err) == ("TargetNotFoundException", 400)


def test_the_last_scp_of_a_target_cannot_be_detached(orgs, root):
    account = new_account(orgs)
    err = error_of(orgs.detach_policy, PolicyId=FULL, TargetId=account)
    assert code_status(err) == ("ConstraintViolationException", 400)
    assert err.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    allow_list = new_policy(orgs, document("Allow", "s3:*"))["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=allow_list, TargetId=account)
    orgs.detach_policy(PolicyId=FULL, TargetId=account)  # an allow-list strategy
    assert attached_ids(orgs, account) == [allow_list]


def test_at_most_five_scps_per_target(orgs, root):
    account = new_account(orgs)
    for _ in range(4):
        orgs.attach_policy(PolicyId=new_policy(orgs)["PolicySummary"]["Id"], TargetId=account)
    err = error_of(orgs.attach_policy, PolicyId=new_policy(orgs)["PolicySummary"]["Id"], TargetId=account)
    assert code_status(err) == ("ConstraintViolationException", 400)
    assert err.response["Reason"] == "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


# -- tags ----------------------------------------------------------------------------------------------


def test_tags_on_root_account_ou_and_policy(orgs, root):
    account = new_account(orgs)
    ou = orgs.create_organizational_unit(ParentId=root, Name=unique("tags"))["OrganizationalUnit"]["Id"]
    policy = new_policy(orgs)["PolicySummary"]["Id"]
    for resource in (root, account, ou, policy):
        orgs.tag_resource(ResourceId=resource, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "x"}])
        orgs.tag_resource(ResourceId=resource, Tags=[{"Key": "env", "Value": "prod"}])
        orgs.untag_resource(ResourceId=resource, TagKeys=["team"])
        assert orgs.list_tags_for_resource(ResourceId=resource)["Tags"] == [{"Key": "env", "Value": "prod"}], resource
        orgs.untag_resource(ResourceId=resource, TagKeys=["env"])


def test_tag_errors(orgs, root):
    for resource in ("999999999999", "ou-abcd-12345678", "p-0000000000", FULL):
        err = error_of(orgs.tag_resource, ResourceId=resource, Tags=[{"Key": "a", "Value": "b"}])
        assert code_status(err) == ("TargetNotFoundException", 400), resource
    err = error_of(orgs.tag_resource, ResourceId=root, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    assert code_status(err) == ("InvalidInputException", 400) and err.response["Reason"] == "DUPLICATE_TAG_KEY"
    err = error_of(orgs.tag_resource, ResourceId=root, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code_status(err) == ("InvalidInputException", 400)
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    err = error_of(orgs.tag_resource, ResourceId=root, Tags=many)
    assert (
        code_status(err) == ("ConstraintViolationException", 400) and err.response["Reason"] == "MAX_TAG_LIMIT_EXCEEDED"
    )


# -- restart --------------------------------------------------------------------------------------------


def test_the_organization_and_its_accounts_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    with PycloudServer(["--data-dir", data_dir], ephemeral=False) as server:
        orgs = server.client("organizations")
        org = orgs.create_organization()["Organization"]
        root_id = orgs.list_roots()["Roots"][0]["Id"]
        orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)
        ou = orgs.create_organizational_unit(ParentId=root_id, Name="kept")["OrganizationalUnit"]["Id"]
        account = new_account(orgs)
        orgs.move_account(AccountId=account, SourceParentId=root_id, DestinationParentId=ou)
        policy = new_policy(orgs)["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=policy, TargetId=ou)
        orgs.tag_resource(ResourceId=account, Tags=[{"Key": "k", "Value": "v"}])

    with PycloudServer(["--data-dir", data_dir], ephemeral=False) as server:
        orgs = server.client("organizations")
        assert orgs.describe_organization()["Organization"]["Id"] == org["Id"]
        assert orgs.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
        assert orgs.list_parents(ChildId=account)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
        assert attached_ids(orgs, ou) == sorted([FULL, policy])
        assert orgs.list_tags_for_resource(ResourceId=account)["Tags"] == [{"Key": "k", "Value": "v"}]
        assert account in {a["id"] for a in server.admin("GET", "/_pycloud/accounts")["accounts"]}
