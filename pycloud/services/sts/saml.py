"""SAML 2.0 responses for AssumeRoleWithSAML.

The IdP posts a base64 ``<samlp:Response>`` holding one ``<saml:Assertion>``: its ``Issuer``, the
``Subject``'s ``NameID``, ``Conditions`` (validity window, ``AudienceRestriction``) and the
attributes AWS reads — ``https://aws.amazon.com/SAML/Attributes/Role`` (``role-arn,provider-arn``
pairs, either order), ``.../RoleSessionName``, optional ``.../SessionDuration``,
``.../SourceIdentity`` and ``.../PrincipalTag:<key>`` / ``.../TransitiveTagKeys``.

XML is parsed with defusedxml (no entity expansion, no external references). The XML signature is
NOT verified against the certificate in the provider's metadata: canonicalisation and XML-DSig
reference processing are out of scope here, so any signature, or none, is accepted. The issuer,
audience and validity window are checked as AWS checks them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from pycloud.protocol.timestamps import parse_iso8601
from pycloud.services.sts import errors

ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
ATTRIBUTE_PREFIX = "https://aws.amazon.com/SAML/Attributes/"
AUDIENCES = frozenset({"https://signin.aws.amazon.com/saml", "urn:amazon:webservices"})
_FORMAT_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"


def _a(tag: str) -> str:
    return f"{{{ASSERTION_NS}}}{tag}"


@dataclass(frozen=True)
class SamlAssertion:
    """What AssumeRoleWithSAML reads from one assertion."""

    issuer: str
    subject: str
    subject_type: str
    audiences: tuple[str, ...]
    recipient: str
    not_before: float | None
    not_on_or_after: float | None
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def role_pairs(self) -> list[tuple[str, str]]:
        """(role ARN, provider ARN) pairs of the Role attribute, whatever their order in each value."""
        pairs = []
        for value in self.attributes.get(ATTRIBUTE_PREFIX + "Role", []):
            parts = [p.strip() for p in value.split(",")]
            if len(parts) != 2:
                continue
            first, second = parts
            pairs.append((second, first) if ":saml-provider/" in first else (first, second))
        return pairs

    def one(self, name: str) -> str | None:
        """The first value of the AWS attribute ``name`` (``RoleSessionName``...), or None."""
        values = self.attributes.get(ATTRIBUTE_PREFIX + name)
        return values[0] if values else None

    def principal_tags(self) -> list[dict[str, str]]:
        """``PrincipalTag:<key>`` attributes as session tags."""
        prefix = ATTRIBUTE_PREFIX + "PrincipalTag:"
        return [{"Key": name[len(prefix):], "Value": values[0] if values else ""}
                for name, values in self.attributes.items() if name.startswith(prefix)]  # fmt: skip


def _time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parse_iso8601(text).timestamp()
    except ValueError:
        raise errors.invalid_identity_token(f"Invalid time in SAML assertion: {text}") from None


def parse_response(encoded: str) -> SamlAssertion:
    """Decode a base64 SAML Response (or bare Assertion); InvalidIdentityToken when malformed."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=False)
        root = ElementTree.fromstring(raw)
    except (binascii.Error, ValueError, ElementTree.ParseError, DefusedXmlException):
        raise errors.invalid_identity_token("Invalid base64 SAMLResponse (Incorrect padding or malformed XML)") from None
    assertion = root if root.tag == _a("Assertion") else root.find(_a("Assertion"))
    if assertion is None:
        if root.find(_a("EncryptedAssertion")) is not None:
            raise errors.invalid_identity_token("Encrypted SAML assertions need the provider's private key, which is not configured.")
        raise errors.invalid_identity_token("The SAML response contains no assertion.")
    issuer = (assertion.findtext(_a("Issuer")) or root.findtext(_a("Issuer")) or "").strip()
    if not issuer:
        raise errors.invalid_identity_token("The SAML assertion has no Issuer.")
    name_id = assertion.find(f"{_a('Subject')}/{_a('NameID')}")
    if name_id is None or not (name_id.text or "").strip():
        raise errors.invalid_identity_token("The SAML assertion has no Subject NameID.")
    fmt = name_id.get("Format", "")
    short = fmt.removeprefix(_FORMAT_PREFIX)
    subject_type = short if fmt.startswith(_FORMAT_PREFIX) and short in ("persistent", "transient") else fmt
    confirmation = assertion.find(f"{_a('Subject')}/{_a('SubjectConfirmation')}/{_a('SubjectConfirmationData')}")
    conditions = assertion.find(_a("Conditions"))
    not_before = not_after = None
    audiences: list[str] = []
    if conditions is not None:
        not_before = _time(conditions.get("NotBefore"))
        not_after = _time(conditions.get("NotOnOrAfter"))
        audiences = [(el.text or "").strip() for el in conditions.iter(_a("Audience"))]
    recipient = ""
    if confirmation is not None:
        recipient = confirmation.get("Recipient", "")
        confirm_after = _time(confirmation.get("NotOnOrAfter"))
        if confirm_after is not None and (not_after is None or confirm_after < not_after):
            not_after = confirm_after
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.iter(_a("Attribute")):
        values = [(v.text or "").strip() for v in attribute.findall(_a("AttributeValue"))]
        attributes.setdefault(attribute.get("Name", ""), []).extend(values)
    return SamlAssertion(issuer, name_id.text.strip(), subject_type, tuple(audiences), recipient, not_before,
                         not_after, attributes)  # fmt: skip


def check_assertion(assertion: SamlAssertion, now: datetime, region: str) -> None:
    """The audience and validity window, as AWS checks them."""
    accepted = AUDIENCES | {f"https://{region}.signin.aws.amazon.com/saml"}
    if not any(aud in accepted for aud in assertion.audiences):
        raise errors.invalid_identity_token("SAML Assertion is not intended for this audience (https://signin.aws.amazon.com/saml).")
    ts = now.timestamp()
    if assertion.not_on_or_after is not None and ts >= assertion.not_on_or_after:
        raise errors.expired_token("Assertion has expired (NotOnOrAfter is in the past).")
    if assertion.not_before is not None and ts < assertion.not_before:
        raise errors.invalid_identity_token("Assertion is not yet valid (NotBefore is in the future).")


def metadata_entity_id(metadata: str) -> str | None:
    """The ``entityID`` of a SAML metadata document (an IAM SAML provider's), or None."""
    try:
        root = ElementTree.fromstring(metadata.encode("utf-8") if isinstance(metadata, str) else metadata)
    except (ValueError, ElementTree.ParseError, DefusedXmlException):
        return None
    if root.tag == f"{{{METADATA_NS}}}EntityDescriptor":
        return root.get("entityID")
    found = root.find(f".//{{{METADATA_NS}}}EntityDescriptor")
    return found.get("entityID") if found is not None else None


def name_qualifier(issuer: str, account: str, provider_name: str) -> str:
    """AWS's ``saml:namequalifier``: base64(SHA-1(issuer + account id + "/" + provider name))."""
    return base64.b64encode(hashlib.sha1(f"{issuer}{account}/{provider_name}".encode()).digest()).decode()  # noqa: S324


def condition_keys(assertion: SamlAssertion, qualifier: str) -> dict[str, Any]:
    """The ``saml:*`` keys trust policies test."""
    keys: dict[str, Any] = {
        "saml:aud": assertion.recipient or "https://signin.aws.amazon.com/saml",
        "saml:iss": assertion.issuer,
        "saml:sub": assertion.subject,
        "saml:sub_type": assertion.subject_type,
        "saml:namequalifier": qualifier,
    }
    for name, values in assertion.attributes.items():
        # plain-named attributes (eduPersonAffiliation...) become saml:<name> keys
        if values and not name.startswith(ATTRIBUTE_PREFIX) and "://" not in name and not name.startswith("urn:"):
            keys[f"saml:{name}"] = values if len(values) > 1 else values[0]
    return keys
