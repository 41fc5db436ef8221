"""IAM through boto3: boundaries, tags, instance profiles, identity providers, passwords, aliases,
reports, the policy simulator, and restart persistence."""

from __future__ import annotations

import csv
import io
import json

import pytest
from s3_helpers import code_status, error_of, unique

from pycloud.testing import PycloudServer
from pycloud.testing.plugin import private_server_fixture

ACCOUNT = ("555566668888", "AKIAIAMACCOUNTTESTS1", "iam-account-secret", "iam-account")
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
SAML = ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com" '
        'validUntil="2040-01-01T00:00:00Z"><IDPSSODescriptor><KeyDescriptor><X509Certificate>MII'
        + "A" * 1000 + '</X509Certificate></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>')


pycloud = private_server_fixture()  # the credential report test advances the virtual clock by hours


@pytest.fixture(scope="module")
def iam(pycloud):
    account, key, secret, name = ACCOUNT
    pycloud.admin("POST", "/_pycloud/accounts", {"id": account, "access_key": key, "secret_key": secret, "name": name})
    return pycloud.client("iam", access_key=key, secret_key=secret)


def test_permissions_boundaries(iam):
    user, role = unique("bu"), unique("br")
    boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    assert iam.create_user(UserName=user, PermissionsBoundary=boundary)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] >= 2
    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]
    iam.delete_user_permissions_boundary(UserName=user)
    missing = f"arn:aws:iam::{ACCOUNT[0]}:policy/{unique('nope')}"
    assert code_status(error_of(iam.put_user_permissions_boundary, UserName=user,
                                PermissionsBoundary=missing)) == ("NoSuchEntity", 404)


def test_tags(iam):
    user = unique("tu")
    iam.create_user(UserName=user)
    iam.tag_user(UserName=user, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_user(UserName=user, TagKeys=["a"])
    assert iam.list_user_tags(UserName=user)["Tags"] == [{"Key": "b", "Value": "2"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert code_status(error_of(iam.tag_user, UserName=user, Tags=too_many)) == ("LimitExceeded", 409)
    policy = iam.create_policy(PolicyName=unique("tp"), PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=policy, Tags=[{"Key": "env", "Value": "dev"}])
    assert iam.list_policy_tags(PolicyArn=policy)["Tags"] == [{"Key": "env", "Value": "dev"}]


def test_instance_profiles(iam):
    profile, role, role2 = unique("ip"), unique("ipr"), unique("ipr")
    created = iam.create_instance_profile(InstanceProfileName=profile, Path="/app/")["InstanceProfile"]
    assert created["InstanceProfileId"].startswith("AIPA") and created["Roles"] == []
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName=role2, AssumeRolePolicyDocument=TRUST)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert code_status(error_of(iam.add_role_to_instance_profile, InstanceProfileName=profile,
                                RoleName=role2)) == ("LimitExceeded", 409)
    got = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]] \
        == [profile]
    assert code_status(error_of(iam.delete_role, RoleName=role)) == ("DeleteConflict", 409)
    assert code_status(error_of(iam.delete_instance_profile, InstanceProfileName=profile)) == ("DeleteConflict", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    iam.delete_role(RoleName=role)
    assert code_status(error_of(iam.get_instance_profile, InstanceProfileName=profile)) == ("NoSuchEntity", 404)


def test_oidc_and_saml_providers(iam):
    host = f"{unique('idp')}.example.com"
    arn = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["app"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT[0]}:oidc-provider/{host}"
    assert code_status(error_of(iam.create_open_id_connect_provider, Url=f"https://{host}",
                                ThumbprintList=["a" * 40])) == ("EntityAlreadyExists", 409)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="other")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host and got["ClientIDList"] == ["app", "other"] and got["ThumbprintList"] == ["b" * 40]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert code_status(error_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn))[0] == "NoSuchEntity"
    name = unique("saml")
    saml = iam.create_saml_provider(Name=name, SAMLMetadataDocument=SAML)["SAMLProviderArn"]
    assert iam.get_saml_provider(SAMLProviderArn=saml)["SAMLMetadataDocument"] == SAML
    assert saml in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    assert code_status(error_of(iam.create_saml_provider, Name=unique("s"),
                                SAMLMetadataDocument="x" * 1000)) == ("InvalidInput", 400)
    iam.delete_saml_provider(SAMLProviderArn=saml)


def test_login_profiles_and_password_policy(iam):
    user = unique("lu")
    iam.create_user(UserName=user)
    assert code_status(error_of(iam.create_login_profile, UserName=user, Password="weakpassword")) == (
        "PasswordPolicyViolation", 400)
    profile = iam.create_login_profile(UserName=user, Password="Str0ng!Pass", PasswordResetRequired=True)
    assert profile["LoginProfile"]["PasswordResetRequired"] is True
    assert code_status(error_of(iam.create_login_profile, UserName=user, Password="Str0ng!Pass")) == (
        "EntityAlreadyExists", 409)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 12 and policy["RequireNumbers"] is True
    assert code_status(error_of(iam.update_login_profile, UserName=user, Password="short1")) == (
        "PasswordPolicyViolation", 400)
    iam.update_login_profile(UserName=user, Password="longenoughpassword1", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    assert code_status(error_of(iam.delete_user, UserName=user)) == ("DeleteConflict", 409)
    iam.delete_login_profile(UserName=user)
    iam.delete_account_password_policy()
    assert code_status(error_of(iam.get_account_password_policy)) == ("NoSuchEntity", 404)


def test_aliases_summary_and_details(iam):
    alias = unique("alias")
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    user, group = unique("du"), unique("dg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=ALLOW_S3)
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] >= 1 and summary["Groups"] >= 1 and summary["AttachedPoliciesPerUserQuota"] == 10
    details = iam.get_account_authorization_details(Filter=["User"])
    mine = [u for u in details["UserDetailList"] if u["UserName"] == user][0]
    assert mine["GroupList"] == [group] and mine["UserPolicyList"][0]["PolicyDocument"] == json.loads(ALLOW_S3)
    assert details["GroupDetailList"] == [] and details["RoleDetailList"] == []
    iam.delete_account_alias(AccountAlias=alias)
    assert code_status(error_of(iam.delete_account_alias, AccountAlias=alias)) == ("NoSuchEntity", 404)


def test_credential_report(pycloud, iam):
    assert code_status(error_of(iam.get_credential_report)) == ("ReportNotPresent", 410)
    user = unique("cr")
    iam.create_user(UserName=user)
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert rows[0]["user"] == "<root_account>" and "access_key_1_last_used_service" in rows[0]
    assert user in [r["user"] for r in rows]
    pycloud.advance_clock(5 * 3600)
    assert code_status(error_of(iam.get_credential_report)) == ("ReportExpired", 410)


def test_simulate_principal_and_custom_policy(iam):
    user, group = unique("su"), unique("sg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secret/*"}]})
    iam.put_user_policy(UserName=user, PolicyName="deny", PolicyDocument=deny)
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::open/k", "arn:aws:s3:::secret/k"])["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in results}
    assert decisions == {
        ("s3:GetObject", "arn:aws:s3:::open/k"): "allowed", ("s3:GetObject", "arn:aws:s3:::secret/k"): "explicitDeny",
        ("s3:PutObject", "arn:aws:s3:::open/k"): "implicitDeny", ("s3:PutObject", "arn:aws:s3:::secret/k"): "implicitDeny"}
    allowed = [r for r in results if r["EvalDecision"] == "allowed"][0]
    assert allowed["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    conditional = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                              "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
    custom = iam.simulate_custom_policy(PolicyInputList=[conditional], ActionNames=["s3:ListBucket"])
    assert custom["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert custom["EvaluationResults"][0]["MissingContextValues"] == ["aws:SourceIp"]
    with_ip = iam.simulate_custom_policy(PolicyInputList=[conditional], ActionNames=["s3:ListBucket"],
                                         ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyType": "ip",
                                                          "ContextKeyValues": ["10.1.2.3"]}])
    assert with_ip["EvaluationResults"][0]["EvalDecision"] == "allowed"
    bounded = iam.simulate_custom_policy(PolicyInputList=[ALLOW_S3], ActionNames=["s3:PutObject"],
                                         PermissionsBoundaryPolicyInputList=[deny.replace("Deny", "Allow")])
    result = bounded["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert code_status(error_of(iam.simulate_custom_policy, PolicyInputList=["{}"], ActionNames=["s3:GetObject"]))[0] \
        == "MalformedPolicyDocument"


def test_iam_state_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    with PycloudServer(["--data-dir", str(data)], ephemeral=False) as server:
        iam = server.client("iam")
        iam.create_user(UserName="keeper")
        iam.create_group(GroupName="crew")
        iam.add_user_to_group(GroupName="crew", UserName="keeper")
        arn = iam.create_policy(PolicyName="kept", PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
        iam.attach_group_policy(GroupName="crew", PolicyArn=arn)
        iam.put_user_policy(UserName="keeper", PolicyName="self", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="keeper")["AccessKey"]
        iam.create_role(RoleName="kept-role", AssumeRolePolicyDocument=TRUST)
    with PycloudServer(["--data-dir", str(data)], ephemeral=False) as server:
        as_user = server.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
        assert as_user.get_user()["User"]["UserName"] == "keeper"
        iam = server.client("iam")
        assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="keeper")["Groups"]] == ["crew"]
        assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
        assert iam.get_role(RoleName="kept-role")["Role"]["AssumeRolePolicyDocument"] == json.loads(TRUST)
