"""AssumeRoleWithWebIdentity and AssumeRoleWithSAML through boto3, unsigned, with ID tokens and
SAML responses built here and IAM identity providers registered in the role's account."""

from __future__ import annotations

import uuid

import pytest
from clock_helpers import server_now
from s3_helpers import code_status, declare_accounts, error_of
from sts_helpers import (
    id_token,
    jwt,
    make_role,
    policy,
    saml_metadata,
    saml_response,
    session_client,
    trust,
    unsigned,
)

ACCOUNT = {"id": "731100000004", "access_key": "AKIASTSFEDERATION001", "secret_key": "sts-d-secret", "name": "sts-d"}
LIST_USERS = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}


@pytest.fixture(scope="module")
def iam(pycloud):
    declare_accounts(pycloud, ACCOUNT)
    return pycloud.client("iam", access_key=ACCOUNT["access_key"], secret_key=ACCOUNT["secret_key"])


@pytest.fixture(scope="module")
def sts(pycloud):
    return unsigned(pycloud)


# -- web identity ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc(iam):
    """An IAM OIDC provider (issuer URL, host/path id, ARN) trusting client id ``my-app``."""
    host_path = f"oidc.example.test/realm-{uuid.uuid4().hex[:8]}"
    arn = iam.create_open_id_connect_provider(
        Url=f"https://{host_path}", ClientIDList=["my-app"], ThumbprintList=["a" * 40]
    )["OpenIDConnectProviderArn"]
    return {"issuer": f"https://{host_path}", "id": host_path, "arn": arn}


@pytest.fixture(scope="module")
def web_role(iam, oidc):
    condition = {"StringEquals": {f"{oidc['id']}:aud": "my-app"}, "StringLike": {f"{oidc['id']}:sub": "user-*"}}
    return make_role(iam, trust({"Federated": oidc["arn"]}, "sts:AssumeRoleWithWebIdentity", condition),
                     policy(LIST_USERS))  # fmt: skip


def test_web_identity_session(pycloud, sts, oidc, web_role):
    token = id_token(oidc["issuer"], "my-app", "user-42", now=server_now(pycloud))
    out = sts.assume_role_with_web_identity(RoleArn=web_role["Arn"], RoleSessionName="web", WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == "user-42"
    assert out["Audience"] == "my-app" and out["Provider"] == oidc["issuer"]
    assert out["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT['id']}:assumed-role/{web_role['RoleName']}/web",
        "AssumedRoleId": f"{web_role['RoleId']}:web",
    }
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert session_client(pycloud, "sts", creds).get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    session_client(pycloud, "iam", creds).list_users()


def test_web_identity_claims_must_satisfy_the_trust_policy(pycloud, sts, oidc, web_role):
    token = id_token(oidc["issuer"], "my-app", "robot-1", now=server_now(pycloud))
    err = error_of(sts.assume_role_with_web_identity, RoleArn=web_role["Arn"], RoleSessionName="web",
                   WebIdentityToken=token)  # fmt: skip
    assert code_status(err) == ("AccessDenied", 403)
    assert "sts:AssumeRoleWithWebIdentity" in err.response["Error"]["Message"]


def test_web_identity_unknown_issuer_or_audience(pycloud, sts, oidc, web_role):
    now = server_now(pycloud)
    for token in (id_token("https://other.example.test", "my-app", "user-1", now=now),
                  id_token(oidc["issuer"], "someone-else", "user-1", now=now)):  # fmt: skip
        err = error_of(sts.assume_role_with_web_identity, RoleArn=web_role["Arn"], RoleSessionName="web",
                       WebIdentityToken=token)  # fmt: skip
        assert code_status(err) == ("InvalidIdentityToken", 400)


def test_web_identity_malformed_token(sts, web_role):
    for token in ("not-a-jwt", "a.b.c", jwt({"aud": "my-app", "sub": "user-1", "exp": 4102444800})):
        err = error_of(sts.assume_role_with_web_identity, RoleArn=web_role["Arn"], RoleSessionName="web",
                       WebIdentityToken=token)  # fmt: skip
        assert code_status(err) == ("InvalidIdentityToken", 400)


def test_web_identity_expired_token(pycloud, sts, oidc, web_role):
    token = id_token(oidc["issuer"], "my-app", "user-1", now=server_now(pycloud), lifetime=-60)
    err = error_of(sts.assume_role_with_web_identity, RoleArn=web_role["Arn"], RoleSessionName="web",
                   WebIdentityToken=token)  # fmt: skip
    assert code_status(err) == ("ExpiredTokenException", 400)


def test_web_identity_missing_role_is_denied(pycloud, sts, oidc):
    token = id_token(oidc["issuer"], "my-app", "user-1", now=server_now(pycloud))
    err = error_of(sts.assume_role_with_web_identity, RoleArn=f"arn:aws:iam::{ACCOUNT['id']}:role/nope",
                   RoleSessionName="web", WebIdentityToken=token)  # fmt: skip
    assert code_status(err) == ("AccessDenied", 403)


def test_web_identity_duration_and_session_policy(pycloud, sts, oidc, web_role):
    token = id_token(oidc["issuer"], "my-app", "user-7", now=server_now(pycloud))
    err = error_of(sts.assume_role_with_web_identity, RoleArn=web_role["Arn"], RoleSessionName="web",
                   WebIdentityToken=token, DurationSeconds=3601)  # fmt: skip
    assert code_status(err) == ("ValidationError", 400)
    narrow = policy({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"})
    out = sts.assume_role_with_web_identity(RoleArn=web_role["Arn"], RoleSessionName="web", WebIdentityToken=token,
                                            Policy=narrow)  # fmt: skip
    assert out["PackedPolicySize"] > 0
    iam = session_client(pycloud, "iam", out["Credentials"])
    assert code_status(error_of(iam.list_users)) == ("AccessDenied", 403)  # the role's, not the session policy's


# -- SAML -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idp(iam):
    """An IAM SAML provider and its issuer (entity id)."""
    issuer = f"https://idp.example.test/{uuid.uuid4().hex[:8]}"
    name = f"corp-idp-{uuid.uuid4().hex[:6]}"
    arn = iam.create_saml_provider(SAMLMetadataDocument=saml_metadata(issuer), Name=name)["SAMLProviderArn"]
    return {"issuer": issuer, "arn": arn, "name": name}


@pytest.fixture(scope="module")
def saml_role(iam, idp):
    condition = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
    return make_role(iam, trust({"Federated": idp["arn"]}, "sts:AssumeRoleWithSAML", condition), policy(LIST_USERS))


def test_saml_session(pycloud, sts, idp, saml_role):
    assertion = saml_response(idp["issuer"], [f"{idp['arn']},{saml_role['Arn']}"], now=server_now(pycloud))
    out = sts.assume_role_with_saml(RoleArn=saml_role["Arn"], PrincipalArn=idp["arn"], SAMLAssertion=assertion)
    assert out["Subject"] == "alice@example.com" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp["issuer"] and out["Audience"] == "https://signin.aws.amazon.com/saml"
    assert out["NameQualifier"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT['id']}:assumed-role/{saml_role['RoleName']}/alice"
    creds = out["Credentials"]
    assert session_client(pycloud, "sts", creds).get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    session_client(pycloud, "iam", creds).list_users()


def test_saml_role_must_be_asserted(pycloud, sts, iam, idp, saml_role):
    other = make_role(iam, trust({"Federated": idp["arn"]}, "sts:AssumeRoleWithSAML"))
    assertion = saml_response(idp["issuer"], [f"{other['Arn']},{idp['arn']}"], now=server_now(pycloud))
    err = error_of(sts.assume_role_with_saml, RoleArn=saml_role["Arn"], PrincipalArn=idp["arn"], SAMLAssertion=assertion)
    assert code_status(err) == ("AccessDenied", 403)
    # the pair in role-first order works for the role it names
    out = sts.assume_role_with_saml(RoleArn=other["Arn"], PrincipalArn=idp["arn"], SAMLAssertion=assertion)
    assert out["AssumedRoleUser"]["Arn"].endswith(f"/{other['RoleName']}/alice")


def test_saml_trust_policy_must_name_the_provider(pycloud, sts, iam, idp):
    role = make_role(iam, trust({"Federated": f"arn:aws:iam::{ACCOUNT['id']}:saml-provider/elsewhere"},
                                "sts:AssumeRoleWithSAML"))  # fmt: skip
    assertion = saml_response(idp["issuer"], [f"{role['Arn']},{idp['arn']}"], now=server_now(pycloud))
    err = error_of(sts.assume_role_with_saml, RoleArn=role["Arn"], PrincipalArn=idp["arn"], SAMLAssertion=assertion)
    assert code_status(err) == ("AccessDenied", 403)


def test_saml_rejections(pycloud, sts, idp, saml_role):
    now = server_now(pycloud)
    pair = [f"{saml_role['Arn']},{idp['arn']}"]
    cases = {
        "wrong issuer": (saml_response("https://evil.example.test", pair, now=now), "InvalidIdentityToken"),
        "wrong audience": (saml_response(idp["issuer"], pair, now=now, audience="https://example.test"),
                           "InvalidIdentityToken"),
        "no session name": (saml_response(idp["issuer"], pair, now=now, session_name=None), "InvalidIdentityToken"),
        "not xml": ("bm90IHhtbA==", "InvalidIdentityToken"),
        "expired": (saml_response(idp["issuer"], pair, now=now, lifetime=-10), "ExpiredTokenException"),
    }  # fmt: skip
    for label, (assertion, code) in cases.items():
        err = error_of(sts.assume_role_with_saml, RoleArn=saml_role["Arn"], PrincipalArn=idp["arn"],
                       SAMLAssertion=assertion)  # fmt: skip
        assert code_status(err) == (code, 400), label
    missing = f"arn:aws:iam::{ACCOUNT['id']}:saml-provider/missing"
    err = error_of(sts.assume_role_with_saml, RoleArn=saml_role["Arn"], PrincipalArn=missing,
                   SAMLAssertion=saml_response(idp["issuer"], pair, now=now))  # fmt: skip
    assert code_status(err)[1] in (400, 403)


def test_saml_session_duration_attribute(pycloud, sts, iam, idp):
    role = make_role(iam, trust({"Federated": idp["arn"]}, "sts:AssumeRoleWithSAML"), MaxSessionDuration=7200)
    attrs = {"https://aws.amazon.com/SAML/Attributes/SessionDuration": ["5400"]}
    now = server_now(pycloud)
    assertion = saml_response(idp["issuer"], [f"{role['Arn']},{idp['arn']}"], now=now, extra_attributes=attrs)
    out = sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=idp["arn"], SAMLAssertion=assertion)
    assert 5300 < (out["Credentials"]["Expiration"] - now).total_seconds() < 5401
