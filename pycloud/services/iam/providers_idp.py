"""Identity providers for federation: OpenID Connect and SAML."""

from __future__ import annotations

import re
from typing import Any

from pycloud.context import RequestContext
from pycloud.services.iam import errors
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import tag_dict, tag_list
from pycloud.services.iam.models import OidcProvider, SamlProvider

MAX_THUMBPRINTS = 5
MAX_CLIENT_IDS = 100
_VALID_UNTIL = re.compile(r"validUntil=\"([^\"]+)\"")


class IdentityProviderOperations(IamBase):
    """OIDC and SAML providers."""

    def _oidc(self, account: str, arn: str) -> OidcProvider:
        found = self.tables.oidc.get(account, G, arn)
        if found is None:
            raise errors.no_such_entity(f"OpenIDConnect Provider not found for arn {arn}")
        return found

    def create_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        url = params["Url"]
        if not url.startswith("https://") or len(url) <= len("https://"):
            raise errors.invalid_input("Invalid Url: it must begin with https://")
        host_path = url[len("https://"):].rstrip("/")
        arn = f"arn:aws:iam::{ctx.account_id}:oidc-provider/{host_path}"
        thumbprints = list(params.get("ThumbprintList") or [])
        client_ids = list(dict.fromkeys(params.get("ClientIDList") or []))
        if len(thumbprints) > MAX_THUMBPRINTS:
            raise errors.limit_exceeded(f"Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: {MAX_THUMBPRINTS}")
        if len(client_ids) > MAX_CLIENT_IDS:
            raise errors.limit_exceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
        tags = tag_dict(params.get("Tags"))
        with self._lock:
            if self.tables.oidc.get(ctx.account_id, G, arn) is not None:
                raise errors.already_exists(f"Provider with url {url} already exists.")
            provider = OidcProvider(arn, host_path, self._now(ctx), client_ids, thumbprints, tags)
            self.tables.oidc.put(ctx.account_id, G, arn, provider)
        out: dict[str, Any] = {"OpenIDConnectProviderArn": arn}
        if tags:
            out["Tags"] = tag_list(tags)
        return out

    def get_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = self._oidc(ctx.account_id, params["OpenIDConnectProviderArn"])
        return {"Url": found.url, "ClientIDList": found.client_ids, "ThumbprintList": found.thumbprints,
                "CreateDate": found.created, "Tags": tag_list(found.tags)}

    def list_open_id_connect_providers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = sorted(self.tables.oidc.values(ctx.account_id, G), key=lambda p: p.arn)
        return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in found]}

    def delete_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["OpenIDConnectProviderArn"]
        with self._lock:
            self._oidc(ctx.account_id, arn)
            self.tables.oidc.delete(ctx.account_id, G, arn)
        self._changed()
        return {}

    def _update_oidc(self, ctx: RequestContext, arn: str, change: Any) -> dict[str, Any]:
        with self._lock:
            found = self._oidc(ctx.account_id, arn)
            change(found)
            self.tables.oidc.put(ctx.account_id, G, arn, found)
        self._changed()
        return {}

    def add_client_id_to_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        client_id = params["ClientID"]

        def add(p: OidcProvider) -> None:
            if client_id not in p.client_ids:
                if len(p.client_ids) >= MAX_CLIENT_IDS:
                    raise errors.limit_exceeded(
                        f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
                p.client_ids.append(client_id)

        return self._update_oidc(ctx, params["OpenIDConnectProviderArn"], add)

    def remove_client_id_from_open_id_connect_provider(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        client_id = params["ClientID"]

        def remove(p: OidcProvider) -> None:
            if client_id in p.client_ids:
                p.client_ids.remove(client_id)

        return self._update_oidc(ctx, params["OpenIDConnectProviderArn"], remove)

    def update_open_id_connect_provider_thumbprint(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        thumbprints = list(params["ThumbprintList"])
        if len(thumbprints) > MAX_THUMBPRINTS:
            raise errors.limit_exceeded(f"Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: {MAX_THUMBPRINTS}")

        def replace(p: OidcProvider) -> None:
            p.thumbprints = thumbprints

        return self._update_oidc(ctx, params["OpenIDConnectProviderArn"], replace)

    # -- SAML ----------------------------------------------------------------------------------------

    def _saml(self, account: str, arn: str) -> SamlProvider:
        found = self.tables.saml.get(account, G, arn)
        if found is None:
            raise errors.no_such_entity(f"SAMLProvider {arn} cannot be found.")
        return found

    def _valid_until(self, metadata: str, now: float) -> float:
        if "EntityDescriptor" not in metadata:
            raise errors.invalid_input("Could not parse metadata")
        match = _VALID_UNTIL.search(metadata)
        if match:
            from pycloud.protocol.timestamps import parse_timestamp

            try:
                return parse_timestamp(match.group(1)).timestamp()
            except Exception:  # noqa: BLE001 - a malformed date is the caller's error
                raise errors.invalid_input("Could not parse metadata") from None
        return now + 100 * 365 * 86400

    def create_saml_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, metadata = params["Name"], params["SAMLMetadataDocument"]
        arn = f"arn:aws:iam::{ctx.account_id}:saml-provider/{name}"
        now = self._now(ctx)
        valid_until = self._valid_until(metadata, now)
        tags = tag_dict(params.get("Tags"))
        with self._lock:
            if self.tables.saml.get(ctx.account_id, G, arn) is not None:
                raise errors.already_exists(f"SAMLProvider {name} already exists.")
            self.tables.saml.put(ctx.account_id, G, arn, SamlProvider(arn, name, metadata, now, valid_until, tags))
        out: dict[str, Any] = {"SAMLProviderArn": arn}
        if tags:
            out["Tags"] = tag_list(tags)
        return out

    def get_saml_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = self._saml(ctx.account_id, params["SAMLProviderArn"])
        return {"SAMLMetadataDocument": found.metadata_document, "CreateDate": found.created,
                "ValidUntil": found.valid_until, "Tags": tag_list(found.tags)}

    def list_saml_providers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = sorted(self.tables.saml.values(ctx.account_id, G), key=lambda p: p.arn)
        return {"SAMLProviderList": [{"Arn": p.arn, "ValidUntil": p.valid_until, "CreateDate": p.created}
                                     for p in found]}

    def update_saml_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["SAMLProviderArn"]
        with self._lock:
            found = self._saml(ctx.account_id, arn)
            metadata = params.get("SAMLMetadataDocument")
            if metadata:
                found.valid_until = self._valid_until(metadata, self._now(ctx))
                found.metadata_document = metadata
            self.tables.saml.put(ctx.account_id, G, arn, found)
        self._changed()
        return {"SAMLProviderArn": arn}

    def delete_saml_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["SAMLProviderArn"]
        with self._lock:
            self._saml(ctx.account_id, arn)
            self.tables.saml.delete(ctx.account_id, G, arn)
        self._changed()
        return {}
