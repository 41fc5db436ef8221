"""Shared pieces of the STS tests: IAM users with keys, roles, clients from STS credentials, and
identity-provider artefacts (unsigned JWTs, SAML responses) built in the test."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore
from botocore.config import Config

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def name(prefix: str) -> str:
    """An IAM name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def policy(*statements: dict[str, Any]) -> str:
    """A policy document (JSON text) of ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: dict[str, Any], actions: list[str] | str = "sts:AssumeRole", condition: dict | None = None) -> str:
    """A trust policy letting ``principal`` perform ``actions``."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": actions}
    if condition:
        statement["Condition"] = condition
    return policy(statement)


def _text(document: str | dict[str, Any]) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def make_user(iam: Any, identity_policy: str | dict[str, Any] | None = None, prefix: str = "user") -> dict[str, str]:
    """An IAM user with an access key (and an inline identity policy when given)."""
    user = name(prefix)
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    if identity_policy is not None:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=_text(identity_policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"name": user, "arn": arn, "access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


def make_role(iam: Any, trust_policy: str, identity_policy: str | dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """A role with ``trust_policy`` (and an inline identity policy when given)."""
    role = iam.create_role(RoleName=name("role"), AssumeRolePolicyDocument=trust_policy, **kwargs)["Role"]
    if identity_policy is not None:
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=_text(identity_policy))
    return role


def client_of(server: Any, service: str, user: dict[str, str]) -> Any:
    """A client signing with a user's long-term key."""
    return server.client(service, access_key=user["access_key"], secret_key=user["secret_key"])


def session_client(server: Any, service: str, credentials: dict[str, Any]) -> Any:
    """A client signing with STS temporary credentials."""
    return server.client(
        service, access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )  # fmt: skip


def unsigned(server: Any, service: str = "sts") -> Any:
    """A client that signs nothing (AssumeRoleWithWebIdentity/SAML need no credentials)."""
    return server.client(service, config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt(claims: dict[str, Any]) -> str:
    """An ID token with ``claims`` (signature bytes are arbitrary: the emulator cannot verify them)."""
    return f"{_b64url({'alg': 'RS256', 'typ': 'JWT', 'kid': 'k1'})}.{_b64url(claims)}.c2lnbmF0dXJl"


def id_token(issuer: str, audience: str, subject: str = "user-123", lifetime: float = 3600,
             now: datetime | None = None, **extra: Any) -> str:  # fmt: skip
    """An ID token from ``issuer`` for ``audience`` expiring ``lifetime`` seconds after ``now``."""
    start = now or datetime.now(UTC)
    claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": int(start.timestamp()),
              "exp": int((start + timedelta(seconds=lifetime)).timestamp()), **extra}  # fmt: skip
    return jwt(claims)


SAML_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{issuer}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data>
    </ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{issuer}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

# a syntactically valid base64 body; the metadata certificate is not used to verify signatures
FAKE_CERTIFICATE = base64.b64encode(b"not a real certificate, for metadata shape only" * 8).decode()


def saml_metadata(issuer: str) -> str:
    """IdP metadata for an IAM SAML provider whose entity id is ``issuer``."""
    return SAML_METADATA.format(issuer=issuer, certificate=FAKE_CERTIFICATE)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def saml_response(issuer: str, roles: list[str], session_name: str | None = "alice", subject: str = "alice@example.com",
                  lifetime: float = 300, audience: str = "https://signin.aws.amazon.com/saml",
                  now: datetime | None = None, extra_attributes: dict[str, list[str]] | None = None) -> str:  # fmt: skip
    """A base64 SAML Response asserting ``roles`` (``role-arn,provider-arn`` values)."""
    start = now or datetime.now(UTC)
    end = start + timedelta(seconds=lifetime)
    attributes: dict[str, list[str]] = {"https://aws.amazon.com/SAML/Attributes/Role": roles}
    if session_name is not None:
        attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] = [session_name]
    attributes.update(extra_attributes or {})
    attribute_xml = "".join(
        f'<saml:Attribute Name="{key}">' + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in values)
        + "</saml:Attribute>"
        for key, values in attributes.items()
    )
    xml = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="{_iso(start)}"
 Destination="https://signin.aws.amazon.com/saml">
 <saml:Issuer>{issuer}</saml:Issuer>
 <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
 <saml:Assertion ID="_a1" Version="2.0" IssueInstant="{_iso(start)}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <saml:Subject>
   <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID>
   <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
    <saml:SubjectConfirmationData NotOnOrAfter="{_iso(end)}" Recipient="https://signin.aws.amazon.com/saml"/>
   </saml:SubjectConfirmation>
  </saml:Subject>
  <saml:Conditions NotBefore="{_iso(start - timedelta(seconds=5))}" NotOnOrAfter="{_iso(end)}">
   <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AttributeStatement>{attribute_xml}</saml:AttributeStatement>
 </saml:Assertion>
</samlp:Response>"""
    return base64.b64encode(xml.encode()).decode()
