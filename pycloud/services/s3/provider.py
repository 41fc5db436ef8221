"""S3: one method per operation.

Bucket operations and configurations are methods of this class; their rules live in the
resource-family modules (``buckets``, ``acl``, ``lifecycle``, ``cors``...). Object operations come
from mixins by family (``objects``, ``listing``, ``multipart``) working on the native object store
(``datastore``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from pycloud._core import StoreError
from pycloud.context import Principal, RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.timestamps import format_rfc822
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.pagination import decode_token, next_token, paginate
from pycloud.services.s3 import (
    access_controls,
    acl,
    authorization,
    bucket_logging,
    buckets,
    cors,
    encryption,
    errors,
    lifecycle,
    lifecycle_runner,
    notification,
    payment,
    policy,
    tagging,
    versioning,
    website,
    website_endpoint,
)
from pycloud.services.s3 import events as s3_events
from pycloud.services.s3.datastore import S3DataStore
from pycloud.services.s3.listing import ListingOperations
from pycloud.services.s3.models import Bucket, BucketTable, canonical_user_id
from pycloud.services.s3.multipart import MultipartOperations
from pycloud.services.s3.object_acl import ObjectAclOperations
from pycloud.services.s3.object_meta import ObjectMeta
from pycloud.services.s3.objects import ObjectOperations, stream_body
from pycloud.services.s3.restore import RestoreOperations
from pycloud.services.s3.website_endpoint import WebsiteAnswer

MAX_BUCKETS = 10_000
"""The largest page S3 returns, and its page size when paginating without ``max-buckets``."""

_TOKEN_SCOPE = "s3:ListBuckets"


def _bad_token() -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "The continuation token provided is incorrect",
        400,
        fields={"ArgumentName": "continuation-token"},
    )


class S3Provider(
    ObjectOperations, ListingOperations, MultipartOperations, ObjectAclOperations, RestoreOperations, Provider
):
    """Amazon Simple Storage Service."""

    service = "s3"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.buckets = BucketTable(runtime.state, self.service)
        settings = runtime.settings
        self.data = S3DataStore(
            settings.data_path if settings is not None else None, settings.fsync if settings is not None else "batch"
        )
        lifecycle_runner.attach(self)  # on clock advances, and periodically inside the server's loop

    def reset(self) -> None:
        self.buckets.clear()
        self.reset_object_state()
        self.storage_states.clear()
        self.data.wipe()

    # -- helpers --------------------------------------------------------------------------------

    def owner(self, account_id: str) -> dict[str, str]:
        """The ``Owner`` element for an account's resources."""
        account = self.runtime.credentials.accounts.get(account_id)
        return {
            "DisplayName": (account.name if account and account.name else account_id),
            "ID": canonical_user_id(account_id),
        }

    def _display_name(self, canonical_id: str) -> str | None:
        """The display name of the known account with this canonical user id, or None."""
        for account_id in list(self.runtime.credentials.accounts):
            if canonical_user_id(account_id) == canonical_id:
                return self.owner(account_id)["DisplayName"]
        return None

    def _bucket(self, ctx: RequestContext, params: dict[str, Any]) -> Bucket:
        return buckets.owned_bucket(self.buckets, ctx, params, self.object_grants)

    def _save(self, bucket: Bucket) -> None:
        self.buckets.put(bucket.account_id, bucket.region, bucket.name, bucket)

    def _set(
        self, ctx: RequestContext, params: dict[str, Any], key: str, build: Callable[[], Any] | None
    ) -> dict[str, Any]:
        """Store one configuration of the request's bucket (``build`` validates the request and
        makes its stored form, once the bucket is known); None removes it."""
        bucket = self._bucket(ctx, params)
        self._save(bucket.with_config(key, build() if build is not None else None))
        return {}

    def _config(self, ctx: RequestContext, params: dict[str, Any], key: str, missing: tuple[str, str]) -> Any:
        """One stored configuration, or the configuration's 404 when it is not set."""
        bucket = self._bucket(ctx, params)
        value = bucket.configs.get(key)
        if value is None:
            raise errors.not_found(missing[0], missing[1], bucket.name)
        return value

    def _bucket_is_empty(self, bucket: Bucket) -> bool:
        """Whether the bucket holds no objects, versions, delete markers or multipart uploads."""
        return self.data.is_empty(bucket.name)

    # -- buckets --------------------------------------------------------------------------------

    def create_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Create a bucket: name rules, location constraint, global name uniqueness, ACL/ownership."""
        authorization.authorize_account_operation(ctx)
        name = params["Bucket"]
        buckets.validate_bucket_name(name)
        configuration = params.get("CreateBucketConfiguration")
        region = buckets.bucket_region(ctx.region, configuration)
        owner = self.owner(ctx.account_id)
        grants = acl.request_grants(params, owner, self._display_name, allow_body=False)
        existing = self.buckets.locate(name)
        if existing is not None:
            if existing.account_id != ctx.account_id:
                raise errors.bucket_already_exists(name)
            if not (existing.region == region == ctx.region == buckets.US_EAST_1):
                raise errors.bucket_already_owned_by_you(name)
            # North Virginia answers 200 for a re-create by the owner and resets the bucket's ACL.
            grants = grants or acl.canned_grants("private", owner)
            block = existing.configs.get("public_access_block") or {}
            acl.check_create_acl(grants, owner, access_controls.acls_disabled(existing), bool(block.get("BlockPublicAcls")))
            self._save(dataclasses.replace(existing, acl=grants))
            return {"Location": f"/{name}", "BucketArn": existing.arn}
        ownership = access_controls.ownership_value(params.get("ObjectOwnership"))
        grants = grants or acl.canned_grants("private", owner)
        # New buckets start with Block Public Access on, so a public ACL is refused too.
        acl.check_create_acl(grants, owner, ownership == access_controls.ENFORCED, block_public=True)
        tags = (configuration or {}).get("Tags")
        configs: dict[str, Any] = {
            "ownership": [{"ObjectOwnership": ownership}],
            "public_access_block": access_controls.default_public_access_block(),
            "encryption": encryption.default_encryption(),
        }
        if tags:
            configs["tags"] = tagging.validate_tag_set({"TagSet": tags})
        lock = bool(params.get("ObjectLockEnabledForBucket"))
        bucket = Bucket(
            name,
            ctx.account_id,
            region,
            ctx.now,
            object_lock_enabled=lock,
            versioning="Enabled" if lock else "",
            acl=grants,
            configs=configs,
        )
        self._save(bucket)
        self.data.ensure_bucket(name)
        location = f"/{name}" if region == buckets.US_EAST_1 else f"http://{name}.s3.{region}.amazonaws.com/"
        return {"Location": location, "BucketArn": bucket.arn}

    def head_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """200 with the bucket's region; 404/403 (bodiless) otherwise, the region header on 403."""
        found = self.buckets.locate(params.get("Bucket") or "")
        try:
            bucket = self._bucket(ctx, params)
        except ServiceError as err:
            if found is not None:
                err.headers["x-amz-bucket-region"] = found.region
            raise
        return {"BucketRegion": bucket.region, "AccessPointAlias": False, "BucketArn": bucket.arn}

    def get_bucket_location(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"LocationConstraint": buckets.location_constraint(self._bucket(ctx, params))}

    def delete_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete the bucket and every configuration it holds."""
        bucket = self._bucket(ctx, params)
        if not self._bucket_is_empty(bucket):
            raise errors.bucket_not_empty(bucket.name)
        self.buckets.delete(bucket.account_id, bucket.region, bucket.name)
        self.data.drop_bucket(bucket.name)
        return {}

    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The caller's buckets in name order, optionally by prefix/region and paginated."""
        authorization.authorize_account_operation(ctx)
        max_buckets = params.get("MaxBuckets")
        if max_buckets is not None and not 1 <= max_buckets <= MAX_BUCKETS:
            raise ServiceError(
                "InvalidArgument",
                f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}",
                400,
                fields={"ArgumentName": "max-buckets", "ArgumentValue": str(max_buckets)},
            )
        token = params.get("ContinuationToken")
        prefix = params.get("Prefix")
        region = params.get("BucketRegion")
        after = decode_token(token, _TOKEN_SCOPE, _bad_token) if token else None

        found = [
            b
            for b in self.buckets.values(ctx.account_id)
            if (not prefix or b.name.startswith(prefix)) and (not region or b.region == region)
        ]
        # Without any pagination parameter S3 answers every bucket at once (the legacy form).
        paginated = any(p is not None for p in (max_buckets, token, prefix, region))
        limit = (max_buckets or MAX_BUCKETS) if paginated else max(len(found), 1)
        page = paginate(found, lambda b: b.name, after, limit)

        result: dict[str, Any] = {
            "Buckets": [
                {"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region, "BucketArn": b.arn}
                for b in page.items
            ],
            "Owner": self.owner(ctx.account_id),
        }
        token_out = next_token(page, _TOKEN_SCOPE)
        if token_out:
            result["ContinuationToken"] = token_out
        if prefix is not None:
            result["Prefix"] = prefix
        return result

    # -- ACL and ownership ----------------------------------------------------------------------

    def put_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Replace the ACL (canned, grant headers or AccessControlPolicy); refused while ACLs are disabled."""
        bucket = self._bucket(ctx, params)
        owner = self.owner(bucket.account_id)
        grants = acl.request_grants(params, owner, self._display_name, allow_body=True)
        if grants is None:
            raise errors.missing_acl_header()
        if access_controls.acls_disabled(bucket) and not acl.only_owner_full_control(grants, owner):
            raise errors.acl_not_supported()
        authorization.block_public_writes(bucket, ctx.operation, params)
        self._save(dataclasses.replace(bucket, acl=grants))
        return {}

    def get_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        return {"Owner": self.owner(bucket.account_id), "Grants": bucket.acl}

    def put_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Set Object Ownership; BucketOwnerEnforced needs an ACL that grants only the owner."""
        bucket = self._bucket(ctx, params)
        rules = access_controls.validate_ownership(params.get("OwnershipControls"))
        owner = self.owner(bucket.account_id)
        if rules[0]["ObjectOwnership"] == access_controls.ENFORCED and not acl.only_owner_full_control(
            bucket.acl, owner
        ):
            raise errors.acl_with_object_ownership()
        self._save(bucket.with_config("ownership", rules))
        return {}

    def get_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"OwnershipControls": {"Rules": self._config(ctx, params, "ownership", errors.NO_OWNERSHIP)}}

    def delete_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "ownership", None)

    def put_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(
            ctx,
            params,
            "public_access_block",
            lambda: access_controls.validate_public_access_block(params.get("PublicAccessBlockConfiguration")),
        )

    def get_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = self._config(ctx, params, "public_access_block", errors.NO_PUBLIC_ACCESS_BLOCK)
        return {"PublicAccessBlockConfiguration": config}

    def delete_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "public_access_block", None)

    # -- policy ---------------------------------------------------------------------------------

    def put_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Store a policy after a syntactic check (the policy engine evaluates it)."""
        bucket = self._bucket(ctx, params)
        text = policy.validate_policy(params.get("Policy"))
        authorization.block_public_writes(bucket, ctx.operation, params)
        self._save(bucket.with_config("policy", text))
        return {}

    def get_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": self._config(ctx, params, "policy", errors.NO_POLICY)}

    def get_bucket_policy_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Whether the bucket policy is public (``NoSuchBucketPolicy`` without one)."""
        text = self._config(ctx, params, "policy", errors.NO_POLICY)
        return {"PolicyStatus": {"IsPublic": authorization.is_public_policy(text)}}

    def delete_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "policy", None)

    # -- tagging, versioning, object lock -------------------------------------------------------

    def put_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        self._save(bucket.with_config("tags", tagging.validate_tag_set(params.get("Tagging"))))
        return {}

    def get_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = self._config(ctx, params, "tags", errors.NO_TAG_SET)
        if not tags:
            raise errors.not_found(*errors.NO_TAG_SET, params["Bucket"])
        return {"TagSet": tags}

    def delete_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "tags", None)

    def put_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        self._save(versioning.apply_versioning(bucket, params.get("VersioningConfiguration"), params.get("MFA")))
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return versioning.versioning_output(self._bucket(ctx, params))

    def put_object_lock_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        self._save(versioning.apply_object_lock(bucket, params.get("ObjectLockConfiguration")))
        return {}

    def get_object_lock_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        if not bucket.object_lock_enabled:
            raise errors.not_found(*errors.NO_OBJECT_LOCK, bucket.name)
        return versioning.object_lock_output(bucket)

    # -- encryption -----------------------------------------------------------------------------

    def put_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(
            ctx,
            params,
            "encryption",
            lambda: encryption.validate_encryption(params.get("ServerSideEncryptionConfiguration")),
        )

    def get_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules = self._config(ctx, params, "encryption", errors.NO_ENCRYPTION)
        return {"ServerSideEncryptionConfiguration": {"Rules": rules}}

    def delete_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Deleting default encryption puts the bucket back on SSE-S3 (every bucket is encrypted)."""
        return self._set(ctx, params, "encryption", encryption.default_encryption)

    # -- CORS, website --------------------------------------------------------------------------

    def website(self, bucket_name: str, key: str, method: str, host: str, source_ip: str) -> WebsiteAnswer:
        """A request to the bucket's website endpoint (unsigned, as from a browser)."""
        if method not in ("GET", "HEAD"):
            return website_endpoint.error_page(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", {"Method": method, "ResourceType": "OBJECT"})
        bucket = self.buckets.locate(bucket_name)
        if bucket is None:
            return website_endpoint.error_page(404, "NoSuchBucket", "The specified bucket does not exist", {"BucketName": bucket_name})
        config = bucket.configs.get("website")
        if not config:
            return website_endpoint.error_page(404, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", {"BucketName": bucket_name})
        redirect_all = config.get("RedirectAllRequestsTo")
        if redirect_all:
            protocol = redirect_all.get("Protocol") or "http"
            return website_endpoint.redirect(f"{protocol}://{redirect_all['HostName']}/{quote(key, safe='/')}")
        rules = config.get("RoutingRules") or []
        rule = website_endpoint.matching_rule(rules, key, None)
        if rule is not None:
            return website_endpoint.rule_redirect(rule, key, host)
        suffix = config["IndexDocument"]["Suffix"]
        answer = self._website_object(bucket, website_endpoint.index_key(key, suffix), source_ip)
        if answer.status == 404 and key and not key.endswith("/"):
            # A "directory" without its slash: S3 redirects to the slash form when its index exists.
            if self._website_object(bucket, f"{key}/{suffix}", source_ip).status == 200:
                return website_endpoint.redirect(f"/{quote(key, safe='/')}/", 302)
        if answer.status >= 400:
            rule = website_endpoint.matching_rule(rules, key, answer.status)
            if rule is not None:
                return website_endpoint.rule_redirect(rule, key, host)
            error_key = (config.get("ErrorDocument") or {}).get("Key")
            if error_key:
                page = self._website_object(bucket, error_key, source_ip)
                if page.status == 200:
                    page.status = answer.status
                    return page
        return answer

    def _website_object(self, bucket: Bucket, key: str, source_ip: str) -> WebsiteAnswer:
        """One object as the website serves it: only what an anonymous reader may read."""
        ctx = RequestContext(
            request_id="", service="s3", operation="GetObject", region=bucket.region,
            account_id=self.runtime.credentials.default_account,
            principal=Principal(account_id="", arn="", kind="anonymous"), now=self.runtime.clock.now(),
            source_ip=source_ip,
        )
        try:
            authorization.authorize(bucket, ctx, {"Bucket": bucket.name, "Key": key}, self.object_grants)
        except ServiceError:
            return website_endpoint.error_page(403, "AccessDenied", "Access Denied")
        try:
            reader = self.data.store.open(bucket.name, key, "")
        except StoreError:
            reader = None
        if reader is None or reader.info.is_delete_marker:
            return website_endpoint.error_page(404, "NoSuchKey", "The specified key does not exist.", {"Key": key})
        info = reader.info
        meta = ObjectMeta.from_bytes(info.metadata)
        try:
            self.check_readable(bucket, info, meta)
        except ServiceError as err:  # archived and not restored
            return website_endpoint.error_page(err.status, err.code, err.message)
        headers = [
            ("Content-Type", meta.content_type),
            ("Content-Length", str(info.size)),
            ("ETag", f'"{info.etag}"'),
            ("Last-Modified", format_rfc822(info.last_modified / 1e9)),
        ]
        return website_endpoint.WebsiteAnswer(200, headers, stream_body(reader, 0, info.size))

    async def post_object(
        self, request: HttpRequest, bucket_name: str, request_id: str, route_extra: dict[str, str]
    ) -> HttpResponse:
        """A browser's form upload to the bucket (POST Object; see ``post_object``)."""
        from pycloud.services.s3 import post_object

        return await post_object.post_object(self, request, bucket_name, request_id, route_extra)

    def cors_preflight(
        self, bucket_name: str, origin: str | None, method: str | None, requested_headers: list[str]
    ) -> list[tuple[str, str]]:
        """A browser's OPTIONS preflight: the Access-Control-* headers to answer, or ``CORSResponse`` 403."""
        if not origin:
            raise errors.preflight_incomplete("Origin")
        if not method:
            raise errors.preflight_incomplete("Access-Control-Request-Method")
        bucket = self.buckets.locate(bucket_name)
        rules = bucket.configs.get("cors") if bucket is not None else None
        if not rules:
            raise errors.cors_not_enabled()
        rule = cors.match_rule(rules, origin, method, requested_headers)
        if rule is None:
            raise errors.cors_not_allowed()
        return cors.response_headers(rule, origin, requested_headers)

    def cors_headers(self, bucket_name: str, origin: str, method: str) -> list[tuple[str, str]]:
        """Access-Control-* headers for an actual cross-origin request (none when no rule matches)."""
        bucket = self.buckets.locate(bucket_name)
        rules = bucket.configs.get("cors") if bucket is not None else None
        rule = cors.match_rule(rules, origin, method, []) if rules else None
        return cors.response_headers(rule, origin, []) if rule is not None else []

    def put_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "cors", lambda: cors.validate_cors(params.get("CORSConfiguration")))

    def get_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"CORSRules": self._config(ctx, params, "cors", errors.NO_CORS)}

    def delete_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "cors", None)

    def put_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "website", lambda: website.validate_website(params.get("WebsiteConfiguration")))

    def get_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._config(ctx, params, "website", errors.NO_WEBSITE))

    def delete_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "website", None)

    # -- lifecycle, notification, logging -------------------------------------------------------

    def put_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        min_size = lifecycle.validate_min_size(params.get("TransitionDefaultMinimumObjectSize"))
        rules = lifecycle.validate_lifecycle(params.get("LifecycleConfiguration"))
        self._save(bucket.with_config("lifecycle", {"Rules": rules, "MinimumObjectSize": min_size}))
        return {"TransitionDefaultMinimumObjectSize": min_size}

    def get_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._config(ctx, params, "lifecycle", errors.NO_LIFECYCLE)
        return {"Rules": stored["Rules"], "TransitionDefaultMinimumObjectSize": stored["MinimumObjectSize"]}

    def delete_bucket_lifecycle(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(ctx, params, "lifecycle", None)

    def put_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Store notification destinations (destination existence is not checked yet); each new
        destination gets AWS's ``s3:TestEvent``."""
        config = params.get("NotificationConfiguration")
        old = self._bucket(ctx, params).configs.get("notification")
        result = self._set(ctx, params, "notification", lambda: notification.validate_notification(config) or None)
        s3_events.send_test_events(self.runtime, ctx, params["Bucket"], old, self._bucket(ctx, params).configs.get("notification"))
        return result

    def get_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._bucket(ctx, params).configs.get("notification") or {})

    def put_bucket_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        status = params.get("BucketLoggingStatus")
        target_name = ((status or {}).get("LoggingEnabled") or {}).get("TargetBucket") or ""
        enabled = bucket_logging.validate_logging(bucket, status, self.buckets.locate(target_name))
        self._save(bucket.with_config("logging", enabled))
        return {}

    def get_bucket_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        enabled = self._bucket(ctx, params).configs.get("logging")
        return {"LoggingEnabled": enabled} if enabled else {}

    # -- request payment, accelerate ------------------------------------------------------------

    def put_bucket_request_payment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set(
            ctx, params, "request_payment", lambda: payment.validate_payer(params.get("RequestPaymentConfiguration"))
        )

    def get_bucket_request_payment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Payer": self._bucket(ctx, params).configs.get("request_payment") or "BucketOwner"}

    def put_bucket_accelerate_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(ctx, params)
        status = payment.validate_accelerate(bucket.name, params.get("AccelerateConfiguration"))
        self._save(bucket.with_config("accelerate", status))
        return {}

    def get_bucket_accelerate_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        status = self._bucket(ctx, params).configs.get("accelerate")
        return {"Status": status} if status else {}
