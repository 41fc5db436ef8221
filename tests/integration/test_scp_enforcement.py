"""Service control policies enforced on member accounts: a deny-list SCP binds a member account's
root and its role sessions, an allow-list strategy allows only what it names, the management account
is exempt, and OrganizationAccountAccessRole lets the management account in.

The organization spans the server's accounts, so this module runs on a server of its own."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from s3_helpers import code_status, error_of

from pycloud.testing.plugin import private_server_fixture

pycloud = private_server_fixture()

MEMBER_KEY = ("AKIASCPMEMBERROOT001", "member-root-secret")


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def org(pycloud) -> dict[str, Any]:
    """An organization with SCPs enabled and one member account whose root can sign."""
    orgs = pycloud.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    status = orgs.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]
    for _ in range(50):
        status = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
        if status["State"] != "IN_PROGRESS":
            break
        pycloud.advance_clock(5)
    assert status["State"] == "SUCCEEDED", status
    member = status["AccountId"]
    # Sign as the member account's root user (AWS gives it no keys; the admin API declares some).
    pycloud.admin("POST", "/_pycloud/accounts", {"id": member, "access_key": MEMBER_KEY[0], "secret_key": MEMBER_KEY[1]})
    return {"orgs": orgs, "root": root_id, "member": member}


def member_client(pycloud, service: str) -> Any:
    return pycloud.client(service, access_key=MEMBER_KEY[0], secret_key=MEMBER_KEY[1])


def _scp(orgs: Any, document: str) -> str:
    return orgs.create_policy(Name=f"scp-{uuid.uuid4().hex[:8]}", Description="test", Content=document,
                              Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]


def test_deny_list_scp_binds_the_member_root_not_the_management_account(pycloud, org):
    orgs = org["orgs"]
    member_client(pycloud, "sqs").list_queues()  # FullAWSAccess everywhere: allowed
    policy = _scp(orgs, _doc({"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}))
    orgs.attach_policy(PolicyId=policy, TargetId=org["root"])
    try:
        err = error_of(member_client(pycloud, "sqs").list_queues)
        assert "explicit deny in a service control policy" in err.response["Error"]["Message"]
        member_client(pycloud, "sns").list_topics()  # other services unaffected
        pycloud.client("sqs").list_queues()  # the management account is exempt
    finally:
        orgs.detach_policy(PolicyId=policy, TargetId=org["root"])
    member_client(pycloud, "sqs").list_queues()


def test_allow_list_strategy_allows_only_what_it_names(pycloud, org):
    orgs = org["orgs"]
    member = org["member"]
    only_s3 = _scp(orgs, _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    orgs.attach_policy(PolicyId=only_s3, TargetId=member)
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    try:
        member_client(pycloud, "s3").list_buckets()
        err = error_of(member_client(pycloud, "sns").list_topics)
        assert code_status(err) == ("AuthorizationError", 403)
        assert "no service control policy allows" in err.response["Error"]["Message"]
    finally:
        orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
        orgs.detach_policy(PolicyId=only_s3, TargetId=member)
    member_client(pycloud, "sns").list_topics()


def test_management_user_assumes_the_access_role_and_scps_still_apply(pycloud, org):
    orgs, member = org["orgs"], org["member"]
    iam = pycloud.client("iam")
    name = f"admin-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = pycloud.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                            RoleSessionName="ops")["Credentials"]

    def as_role(service: str) -> Any:
        return pycloud.client(service, access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"])

    assert as_role("sts").get_caller_identity()["Account"] == member
    as_role("iam").list_roles()  # AdministratorAccess in the member account
    policy = _scp(orgs, _doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))
    orgs.attach_policy(PolicyId=policy, TargetId=member)
    try:
        err = error_of(as_role("iam").list_roles)
        assert code_status(err) == ("AccessDenied", 403)
    finally:
        orgs.detach_policy(PolicyId=policy, TargetId=member)
