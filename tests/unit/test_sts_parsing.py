"""STS pieces without a server: ID tokens, SAML responses, session policies and tags, session records."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from sts_helpers import jwt, policy, saml_response

from pycloud.iam.credentials import CredentialStore
from pycloud.iam.directory import SessionData
from pycloud.iam.policy import NamedPolicy
from pycloud.protocol.errors import ServiceError
from pycloud.services.sts import saml, web_identity
from pycloud.services.sts.session_policies import session_policies, session_tags
from pycloud.services.sts.sessions import SessionStore, session_from_record, session_to_record
from pycloud.state.store import StateStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def code(call, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return info.value.code


def test_jwt_claims_and_condition_keys():
    token = web_identity.parse_token(jwt({"iss": "https://idp.test/realm/", "aud": ["x", "app"], "sub": "u1",
                                          "exp": NOW.timestamp() + 60, "amr": ["mfa"]}))  # fmt: skip
    assert token.issuer_id == "idp.test/realm" and token.audiences == ("x", "app")
    assert web_identity.matching_audience(token, ["app"]) == "app"
    assert code(web_identity.matching_audience, token, ["other"]) == "InvalidIdentityToken"
    keys = web_identity.condition_keys(token, "app")
    assert keys == {"idp.test/realm:aud": "app", "idp.test/realm:sub": "u1", "idp.test/realm:amr": ["mfa"]}
    web_identity.check_expiry(token, NOW)
    assert code(web_identity.check_expiry, token, datetime(2031, 1, 1, tzinfo=UTC)) == "ExpiredTokenException"


@pytest.mark.parametrize("claims", [
    {"aud": "a", "sub": "s", "exp": 1},  # no iss
    {"iss": "http://plain.test", "aud": "a", "sub": "s", "exp": 1},  # not https
    {"iss": "https://i.test", "sub": "s", "exp": 1},  # no aud
    {"iss": "https://i.test", "aud": "a", "exp": 1},  # no sub
    {"iss": "https://i.test", "aud": "a", "sub": "s"},  # no exp
])  # fmt: skip
def test_jwt_missing_claims(claims):
    assert code(web_identity.parse_token, jwt(claims)) == "InvalidIdentityToken"


@pytest.mark.parametrize("text", ["", "a.b", "!!.??.x", base64.urlsafe_b64encode(b"[1]").decode() + ".e30.x"])
def test_jwt_malformed(text):
    assert code(web_identity.parse_token, text) == "InvalidIdentityToken"


def test_saml_assertion_fields_and_role_pairs():
    role, provider = "arn:aws:iam::1:role/R", "arn:aws:iam::1:saml-provider/P"
    encoded = saml_response("https://idp.test", [f"{provider},{role}", f"{role},{provider}"], now=NOW,
                            extra_attributes={"https://aws.amazon.com/SAML/Attributes/PrincipalTag:dept": ["ops"]})  # fmt: skip
    assertion = saml.parse_response(encoded)
    assert assertion.issuer == "https://idp.test" and assertion.subject == "alice@example.com"
    assert assertion.subject_type == "persistent"
    assert assertion.role_pairs() == [(role, provider), (role, provider)]
    assert assertion.one("RoleSessionName") == "alice"
    assert assertion.principal_tags() == [{"Key": "dept", "Value": "ops"}]
    saml.check_assertion(assertion, NOW, "us-east-1")
    assert code(saml.check_assertion, assertion, datetime(2030, 1, 2, tzinfo=UTC), "us-east-1") == "ExpiredTokenException"
    keys = saml.condition_keys(assertion, "q")
    assert keys["saml:iss"] == "https://idp.test" and keys["saml:sub"] == "alice@example.com"


def test_saml_rejects_entities_and_garbage():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert code(saml.parse_response, base64.b64encode(bomb).decode()) == "InvalidIdentityToken"
    assert code(saml.parse_response, "%%%") == "InvalidIdentityToken"


def test_name_qualifier_is_documented_formula():
    import hashlib

    expected = base64.b64encode(hashlib.sha1(b"https://idp.test123456789012/MyIdP").digest()).decode()
    assert saml.name_qualifier("https://idp.test", "123456789012", "MyIdP") == expected


def test_session_policies():
    assert session_policies({}, None, "1").passed is False
    found = session_policies({"Policy": policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}, None, "1")
    assert found.passed and len(found.policies) == 1 and 0 < found.packed_percent <= 100
    assert code(session_policies, {"Policy": "{"}, None, "1") == "MalformedPolicyDocument"
    assert code(session_policies, {"Policy": " " * 2049}, None, "1") == "ValidationError"
    arns = [{"arn": f"arn:aws:iam::1:policy/p{i}"} for i in range(11)]
    assert code(session_policies, {"PolicyArns": arns}, None, "1") == "ValidationError"


def test_session_tags_rules():
    tags = session_tags([{"Key": "A", "Value": "1"}], ["A"], [("B", "2"), ("C", "3")], ["B"])
    assert dict(tags.tags) == {"A": "1", "B": "2"} and set(tags.transitive) == {"A", "B"}
    assert code(session_tags, [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}], None) == "ValidationError"
    assert code(session_tags, [{"Key": "a", "Value": "1"}], ["b"]) == "ValidationError"
    assert code(session_tags, [{"Key": "B", "Value": "9"}], None, [("B", "2")], ["B"]) == "ValidationError"


def test_session_records_round_trip_and_reload():
    data = SessionData(kind="assumed-role", source_arn="arn:aws:iam::1:role/R",
                       policies=(NamedPolicy("session-policy", '{"Version":"2012-10-17","Statement":[]}'),),
                       has_session_policies=True, tags=(("k", "v"),), transitive_tag_keys=("k",), mfa=True,
                       source_identity="me", chained=True, issued_at=5.0, federated_provider="p")  # fmt: skip
    assert session_from_record(session_to_record(data)) == data
    state = StateStore.open(None)
    creds = CredentialStore()
    record = SessionStore(state, creds).issue(account="1", arn="arn:aws:sts::1:assumed-role/R/s", kind="assumed-role",
                                              user_id="AROAX:s", now=100.0, duration=900, session=data)  # fmt: skip
    assert record.access_key.startswith("ASIA") and len(record.access_key) == 20 and len(record.secret) == 40
    assert creds.get(record.access_key).session_token == record.token
    reloaded = SessionStore(state, CredentialStore()).credential_for(record.access_key)
    assert reloaded.expires == datetime.fromtimestamp(1000.0, UTC) and reloaded.session == data
