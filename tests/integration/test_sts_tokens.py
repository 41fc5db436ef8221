"""GetSessionToken, GetFederationToken, GetCallerIdentity for every caller kind,
GetAccessKeyInfo and DecodeAuthorizationMessage through boto3."""

from __future__ import annotations

import time

import pytest
from s3_helpers import code_status, declare_accounts, error_of
from sts_helpers import client_of, make_role, make_user, policy, session_client, trust

ACCOUNT = {"id": "731100000003", "access_key": "AKIASTSTOKENSTEST001", "secret_key": "sts-c-secret", "name": "sts-c"}
FEDERATE = {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}
LIST_USERS = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}
LIST_ROLES = {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}


@pytest.fixture(scope="module")
def root_iam(pycloud):
    declare_accounts(pycloud, ACCOUNT)
    return pycloud.client("iam", access_key=ACCOUNT["access_key"], secret_key=ACCOUNT["secret_key"])


@pytest.fixture(scope="module")
def root_sts(pycloud, root_iam):
    return pycloud.client("sts", access_key=ACCOUNT["access_key"], secret_key=ACCOUNT["secret_key"])


def lifetime(credentials) -> float:
    return credentials["Expiration"].timestamp() - time.time()


def test_get_session_token_keeps_the_users_identity_and_permissions(pycloud, root_iam):
    user = make_user(root_iam, policy(LIST_USERS))
    out = client_of(pycloud, "sts", user).get_session_token(DurationSeconds=1800)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and 1700 < lifetime(creds) <= 1800
    me = session_client(pycloud, "sts", creds).get_caller_identity()
    assert me["Arn"] == user["arn"]
    assert me["UserId"].startswith("AIDA")
    iam = session_client(pycloud, "iam", creds)
    iam.list_users()
    assert code_status(error_of(iam.list_roles)) == ("AccessDenied", 403)


def test_get_session_token_needs_no_permission_and_defaults_to_12_hours(pycloud, root_iam):
    user = make_user(root_iam)
    creds = client_of(pycloud, "sts", user).get_session_token()["Credentials"]
    assert 43100 < lifetime(creds) <= 43200


def test_root_session_tokens_last_at_most_one_hour(pycloud, root_sts):
    creds = root_sts.get_session_token(DurationSeconds=7200)["Credentials"]
    assert 3500 < lifetime(creds) <= 3600
    me = session_client(pycloud, "sts", creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT['id']}:root" and me["UserId"] == ACCOUNT["id"]


def test_mfa_session_token_satisfies_mfa_conditions(pycloud, root_iam):
    mfa_only = {**LIST_USERS, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    user = make_user(root_iam, policy(mfa_only))
    sts = client_of(pycloud, "sts", user)
    with_mfa = sts.get_session_token(SerialNumber=f"arn:aws:iam::{ACCOUNT['id']}:mfa/device", TokenCode="123456")
    session_client(pycloud, "iam", with_mfa["Credentials"]).list_users()
    without = sts.get_session_token()
    assert code_status(error_of(session_client(pycloud, "iam", without["Credentials"]).list_users))[0] == "AccessDenied"
    err = error_of(sts.get_session_token, SerialNumber=f"arn:aws:iam::{ACCOUNT['id']}:mfa/device")
    assert code_status(err) == ("AccessDenied", 403)


def test_session_credentials_cannot_get_more_session_tokens(pycloud, root_iam):
    user = make_user(root_iam, policy(FEDERATE))
    creds = client_of(pycloud, "sts", user).get_session_token()["Credentials"]
    temporary = session_client(pycloud, "sts", creds)
    for call, kwargs in ((temporary.get_session_token, {}), (temporary.get_federation_token, {"Name": "fed-x"})):
        assert code_status(error_of(call, **kwargs)) == ("AccessDenied", 403)


def test_federation_token_is_the_intersection_of_user_and_session_policy(pycloud, root_iam):
    user = make_user(root_iam, policy(FEDERATE, LIST_USERS, LIST_ROLES))
    out = client_of(pycloud, "sts", user).get_federation_token(Name="fed-alice", Policy=policy(LIST_USERS, {
        "Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*"}))  # fmt: skip
    arn = f"arn:aws:sts::{ACCOUNT['id']}:federated-user/fed-alice"
    assert out["FederatedUser"] == {"Arn": arn, "FederatedUserId": f"{ACCOUNT['id']}:fed-alice"}
    assert 0 < out["PackedPolicySize"] <= 100 and 43100 < lifetime(out["Credentials"]) <= 43200
    me = session_client(pycloud, "sts", out["Credentials"]).get_caller_identity()
    assert me == {**me, "Arn": arn, "UserId": f"{ACCOUNT['id']}:fed-alice", "Account": ACCOUNT["id"]}
    iam = session_client(pycloud, "iam", out["Credentials"])
    iam.list_users()  # allowed by both
    assert code_status(error_of(iam.list_roles)) == ("AccessDenied", 403)  # the user's only
    assert code_status(error_of(iam.list_groups)) == ("AccessDenied", 403)  # the session policy's only


def test_federation_token_without_policy_has_no_permissions(pycloud, root_iam):
    user = make_user(root_iam, policy(FEDERATE, LIST_USERS))
    out = client_of(pycloud, "sts", user).get_federation_token(Name="fed-none")
    assert code_status(error_of(session_client(pycloud, "iam", out["Credentials"]).list_users)) == ("AccessDenied", 403)


def test_federation_token_needs_permission(pycloud, root_iam):
    user = make_user(root_iam, policy(LIST_USERS))
    err = error_of(client_of(pycloud, "sts", user).get_federation_token, Name="fed-denied")
    assert code_status(err) == ("AccessDenied", 403)
    assert "sts:GetFederationToken" in err.response["Error"]["Message"]


def test_federation_token_of_root_lasts_one_hour(pycloud, root_sts):
    out = root_sts.get_federation_token(Name="fed-root", DurationSeconds=129600)
    assert 3500 < lifetime(out["Credentials"]) <= 3600


def test_role_sessions_cannot_federate(pycloud, root_iam):
    user = make_user(root_iam)
    role = make_role(root_iam, trust({"AWS": user["arn"]}), policy(FEDERATE))
    creds = client_of(pycloud, "sts", user).assume_role(RoleArn=role["Arn"], RoleSessionName="r1")["Credentials"]
    err = error_of(session_client(pycloud, "sts", creds).get_federation_token, Name="fed-x")
    assert code_status(err) == ("AccessDenied", 403)


def test_caller_identity_of_user_and_root(pycloud, root_iam, root_sts):
    user = make_user(root_iam)
    me = client_of(pycloud, "sts", user).get_caller_identity()
    assert me["Arn"] == user["arn"] and me["Account"] == ACCOUNT["id"]
    assert me["UserId"] == root_iam.get_user(UserName=user["name"])["User"]["UserId"]
    assert root_sts.get_caller_identity()["UserId"] == ACCOUNT["id"]


def test_get_access_key_info(pycloud, root_iam, root_sts):
    user = make_user(root_iam, policy({"Effect": "Allow", "Action": "sts:GetAccessKeyInfo", "Resource": "*"}))
    assert root_sts.get_access_key_info(AccessKeyId=user["access_key"])["Account"] == ACCOUNT["id"]
    temporary = root_sts.get_session_token()["Credentials"]["AccessKeyId"]
    assert client_of(pycloud, "sts", user).get_access_key_info(AccessKeyId=temporary)["Account"] == ACCOUNT["id"]
    denied = make_user(root_iam)
    err = error_of(client_of(pycloud, "sts", denied).get_access_key_info, AccessKeyId=user["access_key"])
    assert code_status(err) == ("AccessDenied", 403)


def test_decode_authorization_message(pycloud, root_iam):
    decoder = make_user(root_iam, policy({"Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage",
                                          "Resource": "*"}))  # fmt: skip
    sts = client_of(pycloud, "sts", decoder)
    err = error_of(sts.decode_authorization_message, EncodedMessage="not-an-encoded-message")
    assert code_status(err) == ("InvalidAuthorizationMessageException", 400)
    nobody = make_user(root_iam)
    denial = error_of(client_of(pycloud, "ec2", nobody).describe_vpcs)
    assert denial.response["Error"]["Code"] == "UnauthorizedOperation"
    encoded = denial.response["Error"]["Message"].rsplit("Encoded authorization failure message: ", 1)[1].strip()
    decoded = sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"]
    assert '"action":"ec2:DescribeVpcs"' in decoded and nobody["arn"] in decoded
    err = error_of(client_of(pycloud, "sts", nobody).decode_authorization_message, EncodedMessage=encoded)
    assert code_status(err) == ("AccessDenied", 403)
