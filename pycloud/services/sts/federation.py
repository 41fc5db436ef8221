"""AssumeRoleWithWebIdentity and AssumeRoleWithSAML: unsigned requests carrying an identity
provider's proof (an OIDC ID token, a SAML assertion), answered with a role session when the role's
trust policy lets that provider's users in.

The trust policy is evaluated for a federated principal (the IAM provider's ARN, or a well-known
provider's name) with the provider's claims as condition keys.
"""

from __future__ import annotations

import re
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import try_parse_arn
from pycloud.services.sts import errors, saml, web_identity
from pycloud.services.sts.base import RoleTarget, StsBase
from pycloud.services.sts.session_policies import SessionTags, session_policies, session_tags, tag_context

_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_TAGS_CLAIM = "https://aws.amazon.com/tags"


def _not_authorized(action: str) -> Any:
    return errors.access_denied(f"Not authorized to perform {action}")


def _token_tags(claims: dict[str, Any]) -> tuple[list[dict[str, str]], list[str]]:
    """Session tags an ID token passes in its ``https://aws.amazon.com/tags`` claim."""
    block = claims.get(_TAGS_CLAIM)
    if not isinstance(block, dict):
        return [], []
    tags = []
    for key, value in (block.get("principal_tags") or {}).items():
        first = value[0] if isinstance(value, list) and value else value
        tags.append({"Key": str(key), "Value": str(first)})
    transitive = [str(k) for k in block.get("transitive_tag_keys") or ()]
    return tags, transitive


class FederationMixin(StsBase):
    """Role sessions for web identity and SAML federation."""

    def _federated_target(self, role_arn: str, action: str) -> RoleTarget:
        target = self.role_target(role_arn)
        if target.role is None:
            raise _not_authorized(action)
        return target

    def _authorize_federated(
        self, ctx: RequestContext, action: str, target: RoleTarget, provider: str, keys: dict[str, Any],
        tags: SessionTags, passed_tags: list[dict[str, str]],
    ) -> None:  # fmt: skip
        keys = {**keys, **tag_context(tags, passed_tags)}
        if not self.federated_decision(ctx, action, target, provider, keys).allowed:
            raise _not_authorized(action)
        if passed_tags and not self.federated_decision(ctx, "sts:TagSession", target, provider, keys).allowed:
            raise _not_authorized(action)

    def assume_role_with_web_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A role session for the holder of an OIDC ID token from a provider the role trusts."""
        action = "sts:AssumeRoleWithWebIdentity"
        target = self._federated_target(params["RoleArn"], action)
        token = web_identity.parse_token(params["WebIdentityToken"])
        if token.issuer_id in web_identity.WELL_KNOWN:
            provider_name = token.issuer_id
            audience = token.audiences[0]
        else:
            provider_name = f"arn:aws:iam::{target.account}:oidc-provider/{token.issuer_id}"
            iam = self.iam()
            lookup = getattr(iam, "oidc_provider", None)
            provider = lookup(target.account, provider_name) if lookup is not None else None
            if provider is None:
                raise errors.invalid_identity_token(f"No OpenIDConnect provider found in your account for {token.issuer}")
            audience = web_identity.matching_audience(token, list(getattr(provider, "client_ids", ()) or ()))
        web_identity.check_expiry(token, ctx.now)
        duration = self.role_duration(params.get("DurationSeconds"), target.role)
        policies = session_policies(params, self.iam(), target.account)
        passed_tags, transitive = _token_tags(token.claims)
        tags = session_tags(passed_tags, transitive)
        keys = web_identity.condition_keys(token, audience)
        self._authorize_federated(ctx, action, target, provider_name, keys, tags, passed_tags)
        _, answer = self.issue_role_session(ctx, target, params["RoleSessionName"], duration, policies, tags,
                                            federated_provider=provider_name)  # fmt: skip
        answer.update({"SubjectFromWebIdentityToken": token.subject, "Audience": audience, "Provider": token.issuer})
        return answer

    def assume_role_with_saml(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A role session for a SAML assertion from an IAM SAML provider the role trusts."""
        action = "sts:AssumeRoleWithSAML"
        principal_arn = params["PrincipalArn"]
        parsed = try_parse_arn(principal_arn)
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("saml-provider/"):
            raise errors.validation(f"{principal_arn} is not a valid SAML provider ARN")
        target = self._federated_target(params["RoleArn"], action)
        iam = self.iam()
        lookup = getattr(iam, "saml_provider", None)
        provider = lookup(parsed.account, principal_arn) if lookup is not None else None
        if provider is None:
            raise errors.invalid_identity_token(f"The SAML provider {principal_arn} does not exist in the account.")
        assertion = saml.parse_response(params["SAMLAssertion"])
        entity_id = saml.metadata_entity_id(getattr(provider, "metadata_document", "") or "")
        if entity_id is not None and entity_id != assertion.issuer:
            raise errors.invalid_identity_token(
                f"The issuer of the SAML assertion ({assertion.issuer}) does not match the provider's metadata."
            )
        saml.check_assertion(assertion, ctx.now, ctx.region)
        if (target.arn, principal_arn) not in assertion.role_pairs() and (target.role.arn, principal_arn) not in assertion.role_pairs():
            raise _not_authorized(action)
        session_name = assertion.one("RoleSessionName")
        if session_name is None:
            raise errors.invalid_identity_token("The SAML assertion has no RoleSessionName attribute.")
        if not _SESSION_NAME.fullmatch(session_name):
            raise errors.invalid_identity_token(f"RoleSessionName '{session_name}' is not valid.")
        requested = params.get("DurationSeconds")
        if requested is None:
            attribute = assertion.one("SessionDuration")
            if attribute is not None and attribute.isdigit() and 900 <= int(attribute) <= 43200:
                requested = min(int(attribute), int(getattr(target.role, "max_session_duration", 3600)))
        duration = self.role_duration(requested, target.role)
        policies = session_policies(params, iam, target.account)
        passed_tags = assertion.principal_tags()
        tags = session_tags(passed_tags, assertion.attributes.get(saml.ATTRIBUTE_PREFIX + "TransitiveTagKeys"))
        provider_name = getattr(provider, "name", "") or parsed.resource.rsplit("/", 1)[-1]
        qualifier = saml.name_qualifier(assertion.issuer, parsed.account, provider_name)
        keys = saml.condition_keys(assertion, qualifier)
        self._authorize_federated(ctx, action, target, principal_arn, keys, tags, passed_tags)
        source_identity = assertion.one("SourceIdentity") or ""
        _, answer = self.issue_role_session(ctx, target, session_name, duration, policies, tags,
                                            federated_provider=principal_arn, source_identity=source_identity)  # fmt: skip
        answer.update({
            "Subject": assertion.subject, "SubjectType": assertion.subject_type, "Issuer": assertion.issuer,
            "Audience": keys["saml:aud"], "NameQualifier": qualifier,
        })  # fmt: skip
        if source_identity:
            answer["SourceIdentity"] = source_identity
        return answer
