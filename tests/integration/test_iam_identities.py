"""IAM through boto3: users, groups, roles, managed and inline policies, attachments, access keys."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from s3_helpers import code_status, error_of, unique

ACCOUNT = ("555566667777", "AKIAIAMIDENTITYTEST1", "iam-identity-secret", "iam-identities")
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def iam(pycloud):
    account, key, secret, name = ACCOUNT
    pycloud.admin("POST", "/_pycloud/accounts", {"id": account, "access_key": key, "secret_key": secret, "name": name})
    return pycloud.client("iam", access_key=key, secret_key=secret)


@pytest.fixture(scope="module")
def raw(pycloud, iam):
    """A client that sends what it is given (no client-side validation): the server must refuse it."""
    return pycloud.client("iam", access_key=ACCOUNT[1], secret_key=ACCOUNT[2],
                          config=Config(parameter_validation=False))


def test_user_lifecycle(iam):
    name = unique("user")
    user = iam.create_user(UserName=name, Path="/eng/", Tags=[{"Key": "team", "Value": "a"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT[0]}:user/eng/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    got = iam.get_user(UserName=name.upper())["User"]
    assert got["UserName"] == name and got["Tags"] == [{"Key": "team", "Value": "a"}]
    assert code_status(error_of(iam.create_user, UserName=name.upper())) == ("EntityAlreadyExists", 409)
    assert name in [u["UserName"] for u in iam.list_users(PathPrefix="/eng/")["Users"]]
    iam.update_user(UserName=name, NewUserName=name + "x", NewPath="/ops/")
    assert iam.get_user(UserName=name + "x")["User"]["Arn"].endswith(f":user/ops/{name}x")
    assert code_status(error_of(iam.get_user, UserName=name)) == ("NoSuchEntity", 404)
    iam.delete_user(UserName=name + "x")
    assert code_status(error_of(iam.delete_user, UserName=name + "x")) == ("NoSuchEntity", 404)


def test_get_user_without_name_is_the_caller(iam):
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT[0]}:root"


def test_invalid_names_and_paths_are_rejected(raw):
    assert code_status(error_of(raw.create_user, UserName="bad name!")) == ("ValidationError", 400)
    assert code_status(error_of(raw.create_user, UserName=unique("u"), Path="nopath")) == ("ValidationError", 400)


def test_list_users_paginates_with_marker(iam):
    prefix = f"/{unique('page')}/"
    names = sorted(unique("pu") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=prefix)
    seen, marker = [], None
    while True:
        kwargs = {"PathPrefix": prefix, "MaxItems": 2, **({"Marker": marker} if marker else {})}
        page = iam.list_users(**kwargs)
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == names
    assert code_status(error_of(iam.list_users, Marker="garbage")) == ("InvalidInput", 400)


def test_groups_and_membership(iam):
    group, user = unique("grp"), unique("gu")
    created = iam.create_group(GroupName=group)["Group"]
    assert created["GroupId"].startswith("AGPA")
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert code_status(error_of(iam.delete_group, GroupName=group)) == ("DeleteConflict", 409)
    assert code_status(error_of(iam.delete_user, UserName=user)) == ("DeleteConflict", 409)
    iam.update_group(GroupName=group, NewGroupName=group + "2")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group + "2"]
    iam.remove_user_from_group(GroupName=group + "2", UserName=user)
    assert code_status(error_of(iam.remove_user_from_group, GroupName=group + "2", UserName=user))[0] == "NoSuchEntity"
    iam.delete_group(GroupName=group + "2")
    iam.delete_user(UserName=user)
    assert code_status(error_of(iam.get_group, GroupName=group)) == ("NoSuchEntity", 404)


def test_roles(iam, raw):
    name = unique("role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200,
                           Description="d")["Role"]
    assert role["RoleId"].startswith("AROA") and role["MaxSessionDuration"] == 7200
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert code_status(error_of(raw.create_role, RoleName=unique("r"), AssumeRolePolicyDocument=TRUST,
                                MaxSessionDuration=60)) == ("ValidationError", 400)
    assert code_status(error_of(iam.create_role, RoleName=unique("r"),
                                AssumeRolePolicyDocument=ALLOW_S3)) == ("MalformedPolicyDocument", 400)
    iam.update_role(RoleName=name, MaxSessionDuration=43200)
    assert iam.update_role_description(RoleName=name, Description="new")["Role"]["Description"] == "new"
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 43200
    trust2 = TRUST.replace("ec2", "lambda")
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust2)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(trust2)
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=ALLOW_S3)
    assert code_status(error_of(iam.delete_role, RoleName=name)) == ("DeleteConflict", 409)
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)
    assert code_status(error_of(iam.get_role, RoleName=name)) == ("NoSuchEntity", 404)


def test_policy_documents_come_back_url_encoded_on_the_wire(pycloud, iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    seen = {}

    def grab(http_response, **_):
        seen["body"] = http_response.text

    iam.meta.events.register("after-call.iam.GetRole", grab)
    try:
        iam.get_role(RoleName=name)
    finally:
        iam.meta.events.unregister("after-call.iam.GetRole", grab)
    assert f"<AssumeRolePolicyDocument>{urllib.parse.quote(TRUST, safe='')}</AssumeRolePolicyDocument>" in seen["body"]


def test_service_linked_roles(iam):
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="x1")["Role"]
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_x1"
    assert code_status(error_of(iam.delete_role, RoleName=role["RoleName"])) == ("UnmodifiableEntity", 400)
    assert code_status(error_of(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com",
                                CustomSuffix="x1")) == ("InvalidInput", 400)
    task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert code_status(error_of(iam.get_role, RoleName=role["RoleName"])) == ("NoSuchEntity", 404)


def test_managed_policies_and_versions(iam):
    name = unique("pol")
    policy = iam.create_policy(PolicyName=name, PolicyDocument=ALLOW_S3, Description="x")["Policy"]
    arn = policy["Arn"]
    assert policy["PolicyId"].startswith("ANPA") and policy["DefaultVersionId"] == "v1"
    assert code_status(error_of(iam.create_policy, PolicyName=name, PolicyDocument=ALLOW_S3)) == (
        "EntityAlreadyExists", 409)
    assert code_status(error_of(iam.create_policy, PolicyName=unique("p"), PolicyDocument='{"Statement": 1}')) == (
        "MalformedPolicyDocument", 400)
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i:05d}" for i in range(400)], "Resource": "*"}]})
    assert code_status(error_of(iam.create_policy, PolicyName=unique("p"), PolicyDocument=big)) == (
        "LimitExceeded", 409)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3)
    assert code_status(error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=ALLOW_S3)) == (
        "LimitExceeded", 409)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert code_status(error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v1")) == ("DeleteConflict", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["IsDefaultVersion"] and got["Document"] == json.loads(ALLOW_S3)
    assert code_status(error_of(iam.delete_policy, PolicyArn=arn)) == ("DeleteConflict", 409)
    for version in ("v1", "v2", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    assert code_status(error_of(iam.get_policy_version, PolicyArn=arn, VersionId="v9")) == ("NoSuchEntity", 404)
    iam.delete_policy(PolicyArn=arn)
    assert code_status(error_of(iam.get_policy, PolicyArn=arn)) == ("NoSuchEntity", 404)


def test_aws_managed_policies(iam):
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AdministratorAccess"
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == "*"
    names = set()
    marker = None
    while True:
        page = iam.list_policies(Scope="AWS", MaxItems=10, **({"Marker": marker} if marker else {}))
        names |= {p["PolicyName"] for p in page["Policies"]}
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert {"AdministratorAccess", "AmazonS3ReadOnlyAccess", "AWSLambda_FullAccess", "IAMReadOnlyAccess"} <= names
    local = iam.list_policies(Scope="Local")["Policies"]
    assert all(":aws:policy/" not in p["Arn"] for p in local)
    assert code_status(error_of(iam.delete_policy, PolicyArn=arn)) == ("UnmodifiableEntity", 400)


def test_attachments_and_limits(iam):
    user = unique("au")
    iam.create_user(UserName=user)
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] >= 1
    entities = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")["PolicyUsers"]
    assert user in [e["UserName"] for e in entities]
    assert code_status(error_of(iam.delete_user, UserName=user)) == ("DeleteConflict", 409)
    own = [iam.create_policy(PolicyName=unique("lp"), PolicyDocument=ALLOW_S3)["Policy"]["Arn"] for _ in range(9)]
    for policy_arn in own:
        iam.attach_user_policy(UserName=user, PolicyArn=policy_arn)
    extra = iam.create_policy(PolicyName=unique("lp"), PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    assert code_status(error_of(iam.attach_user_policy, UserName=user, PolicyArn=extra)) == ("LimitExceeded", 409)
    missing = f"arn:aws:iam::{ACCOUNT[0]}:policy/{unique('none')}"
    assert code_status(error_of(iam.attach_role_policy, RoleName=unique("nor"), PolicyArn=arn)) == (
        "NoSuchEntity", 404)
    assert code_status(error_of(iam.detach_user_policy, UserName=user, PolicyArn=missing)) == ("NoSuchEntity", 404)
    assert iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    for policy_arn in [arn, *own]:
        iam.detach_user_policy(UserName=user, PolicyArn=policy_arn)
    iam.delete_user(UserName=user)


def test_inline_policies_and_size_limit(iam):
    group = unique("ig")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="a", PolicyDocument=ALLOW_S3)
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["a"]
    got = iam.get_group_policy(GroupName=group, PolicyName="a")
    assert got["PolicyDocument"] == json.loads(ALLOW_S3) and got["GroupName"] == group
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i:05d}" for i in range(300)], "Resource": "*"}]})
    assert code_status(error_of(iam.put_group_policy, GroupName=group, PolicyName="b", PolicyDocument=big)) == (
        "LimitExceeded", 409)
    assert code_status(error_of(iam.put_group_policy, GroupName=group, PolicyName="c",
                                PolicyDocument='{"Version": "2012-10-17"}')) == ("MalformedPolicyDocument", 400)
    assert code_status(error_of(iam.get_group_policy, GroupName=group, PolicyName="zz")) == ("NoSuchEntity", 404)
    iam.delete_group_policy(GroupName=group, PolicyName="a")
    iam.delete_group(GroupName=group)


def test_access_keys(pycloud, iam):
    user = unique("ku")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="self", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert key["AccessKeyId"][4:].isalnum() and key["AccessKeyId"].isupper() and len(key["SecretAccessKey"]) == 40
    iam.create_access_key(UserName=user)
    assert code_status(error_of(iam.create_access_key, UserName=user)) == ("LimitExceeded", 409)
    assert len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) == 2
    as_user = pycloud.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == user
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == user and last["AccessKeyLastUsed"]["ServiceName"] == "iam"
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}
    assert statuses[key["AccessKeyId"]] == "Inactive"
    assert error_of(as_user.get_user).response["ResponseMetadata"]["HTTPStatusCode"] == 403
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]] != []
    assert code_status(error_of(iam.delete_access_key, UserName=user, AccessKeyId=key["AccessKeyId"])) == (
        "NoSuchEntity", 404)
    assert _signs_as(as_user) != f"arn:aws:iam::{ACCOUNT[0]}:user/{user}"


def _signs_as(client) -> str:
    """Who a client's key signs for now ('' when the key is refused)."""
    try:
        return client.get_user()["User"]["Arn"]
    except ClientError:
        return ""


def test_iam_is_global_across_regions(pycloud, iam):
    name = unique("glob")
    iam.create_user(UserName=name)
    other = pycloud.client("iam", access_key=ACCOUNT[1], secret_key=ACCOUNT[2], region="eu-west-3")
    assert other.get_user(UserName=name)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT[0]}:user/{name}"
