"""Tag/Untag/List*Tags for users, roles, managed policies, instance profiles and identity providers."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.services.iam import errors
from pycloud.services.iam.aws_managed import aws_policy
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import page, tag_dict, tag_list, untag


class TagOperations(IamBase):
    """Tags of every taggable IAM resource (50 per resource)."""

    def _taggable(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> tuple[Any, Any, str]:
        """(table, record, key) of the resource the request names."""
        account = ctx.account_id
        if kind == "user":
            record = self._user(account, params["UserName"])
            return self.tables.users, record, record.name.lower()
        if kind == "role":
            record = self._role(account, params["RoleName"])
            return self.tables.roles, record, record.name.lower()
        if kind == "policy":
            arn = params["PolicyArn"]
            if aws_policy(arn) is not None:
                raise errors.invalid_input(f"Tags cannot be managed on AWS managed policy {arn}.")
            record = self._customer_policy(account, arn)
            if record is None:
                raise errors.no_such_entity(f"Policy {arn} does not exist or is not attachable.")
            return self.tables.policies, record, record.name.lower()
        if kind == "profile":
            name = params["InstanceProfileName"]
            record = self.tables.profiles.get(account, G, name.lower())
            if record is None:
                raise errors.no_such_entity(f"Instance Profile {name} cannot be found.")
            return self.tables.profiles, record, record.name.lower()
        table = self.tables.oidc if kind == "oidc" else self.tables.saml
        arn = params["OpenIDConnectProviderArn" if kind == "oidc" else "SAMLProviderArn"]
        record = table.get(account, G, arn)
        if record is None:
            what = "OpenIDConnect" if kind == "oidc" else "SAML"
            raise errors.no_such_entity(f"{what} provider not found for arn {arn}")
        return table, record, arn

    def _tag(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            table, record, key = self._taggable(kind, ctx, params)
            record.tags = tag_dict(params["Tags"], record.tags)
            table.put(ctx.account_id, G, key, record)
        if kind in ("user", "role"):
            self._changed()  # aws:PrincipalTag conditions read them
        return {}

    def _untag(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            table, record, key = self._taggable(kind, ctx, params)
            record.tags = untag(record.tags, params["TagKeys"])
            table.put(ctx.account_id, G, key, record)
        if kind in ("user", "role"):
            self._changed()
        return {}

    def _list_tags(self, kind: str, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, record, _ = self._taggable(kind, ctx, params)
        tags = tag_list(record.tags)
        chosen, extra = page(tags, lambda t: t["Key"], params, f"iam.ListTags.{kind}")
        return {"Tags": chosen, **extra}

    def tag_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag("user", ctx, params)

    def untag_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag("user", ctx, params)

    def list_user_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags("user", ctx, params)

    def tag_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag("role", ctx, params)

    def untag_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag("role", ctx, params)

    def list_role_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags("role", ctx, params)

    def tag_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag("policy", ctx, params)

    def untag_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag("policy", ctx, params)

    def list_policy_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags("policy", ctx, params)

    def tag_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag("profile", ctx, params)

    def untag_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag("profile", ctx, params)

    def list_instance_profile_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags("profile", ctx, params)

    def tag_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag("oidc", ctx, params)

    def untag_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag("oidc", ctx, params)

    def list_open_id_connect_provider_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags("oidc", ctx, params)

    def tag_saml_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag("saml", ctx, params)

    def untag_saml_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag("saml", ctx, params)

    def list_saml_provider_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags("saml", ctx, params)
