"""SNS: one method per operation (topics, subscriptions, publishing, tags, permissions).

Rules live in the family modules: ``attributes`` (topic/subscription attributes), ``endpoints``
(protocols), ``messages`` (publish input), ``filter_policy``, ``topic_policy`` (access),
``envelope`` (signed JSON documents) and ``delivery`` (fan-out by protocol).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.pagination import decode_token, next_token, paginate
from pycloud.services.sns import attributes as attrs
from pycloud.services.sns import endpoints, messages, topic_policy
from pycloud.services.sns.delivery import Deliverer, Published
from pycloud.services.sns.envelope import Signer, timestamp
from pycloud.services.sns.errors import invalid_parameter, subscription_not_found, topic_not_found
from pycloud.services.sns.models import (
    Subscription,
    SubscriptionTable,
    Topic,
    split_topic_arn,
    topic_table,
    unsubscribed_table,
)

PAGE_SIZE = 100
TOKEN_TTL_SECONDS = 3 * 24 * 3600
"""A confirmation token is valid for three days."""
DEDUP_WINDOW_SECONDS = 300
MAX_TAGS = 50
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME_MESSAGE = (
    "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase "
    "ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
)


def _bad_token() -> ServiceError:
    return invalid_parameter("Invalid parameter: NextToken")


def _tags_dict(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """Validate a Tags list; returns it as a dict."""
    result: dict[str, str] = {}
    for tag in tags or []:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if not key or len(key) > 128 or len(value) > 256 or key.lower().startswith("aws:"):
            raise invalid_parameter("Invalid parameter: Tags Reason: invalid tag key or value")
        result[key] = value
    return result


class SnsProvider(Provider):
    """Amazon Simple Notification Service."""

    service = "sns"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.topics = topic_table(runtime.state)
        self.subscriptions = SubscriptionTable(runtime.state)
        self.unsubscribed = unsubscribed_table(runtime.state)
        self.signer = Signer()
        self.delivery = Deliverer(runtime, self.signer)
        self._dedup: dict[str, dict[str, tuple[float, str, str]]] = {}
        self._sequence: dict[str, int] = {}

    def reset(self) -> None:
        self.topics.clear()
        self.subscriptions.clear()
        self.unsubscribed.clear()
        self.delivery.cancel_all()
        self._dedup.clear()
        self._sequence.clear()

    # -- helpers --------------------------------------------------------------------------------

    def _base_url(self, ctx: RequestContext) -> str:
        """Where this request reached pycloud: the URLs handed to subscribers point back there."""
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        if not host:
            settings = self.runtime.settings
            host = f"{getattr(settings, 'host', '127.0.0.1')}:{getattr(settings, 'port', 4566)}"
        return f"http://{host}"

    def _find_topic(self, arn: str | None) -> Topic:
        where = split_topic_arn(arn or "")
        if where is None:
            raise invalid_parameter("Invalid parameter: TopicArn")
        region, account, name = where
        topic = self.topics.get(account, region, name)
        if topic is None:
            raise topic_not_found()
        return topic

    def _topic(self, ctx: RequestContext, arn: str | None, operation: str | None = None) -> Topic:
        """The topic an ARN names, once the caller is allowed the operation on it."""
        topic = self._find_topic(arn)
        topic_policy.authorize(topic, ctx, operation)
        return topic

    def _save_topic(self, topic: Topic) -> None:
        self.topics.put(topic.account_id, topic.region, topic.name, topic)

    def _find_subscription(self, arn: str | None) -> Subscription:
        parts = (arn or "").split(":")
        where = split_topic_arn(":".join(parts[:6])) if len(parts) == 7 else None
        if where is None or not parts[6]:
            raise invalid_parameter("Invalid parameter: SubscriptionArn")
        sub = self.subscriptions.get(where[1], where[0], parts[6])
        if sub is None:
            raise subscription_not_found()
        return sub

    def _save_subscription(self, sub: Subscription) -> None:
        region, account, _ = split_topic_arn(sub.topic_arn)  # type: ignore[misc]
        self.subscriptions.put(account, region, sub.id, sub)

    def _resource_topic(self, ctx: RequestContext, arn: str) -> Topic:
        """The topic of a tagging call (ResourceNotFound rather than NotFound, as SNS answers)."""
        try:
            return self._topic(ctx, arn)
        except ServiceError as err:
            if err.code == "NotFound":
                raise ServiceError("ResourceNotFound", "Resource does not exist", 404) from None
            raise

    # -- topics ---------------------------------------------------------------------------------

    def create_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Create a topic, or return the existing one when created again with the same attributes."""
        name = params["Name"]
        requested = dict(params.get("Attributes") or {})
        fifo_attr = requested.get("FifoTopic", "false").strip().lower() == "true"
        is_fifo_name = name.endswith(".fifo")
        base = name[: -len(".fifo")] if is_fifo_name else name
        if fifo_attr and (not is_fifo_name or not _TOPIC_NAME.match(base)):
            raise invalid_parameter(_FIFO_NAME_MESSAGE)
        if not _TOPIC_NAME.match(base) or len(name) > 256 or (is_fifo_name and not fifo_attr):
            raise invalid_parameter("Invalid parameter: Topic Name")
        stored = {key: attrs.validate_topic_attribute(key, value, fifo_attr, creating=True) for key, value in requested.items()}
        stored.pop("FifoTopic", None)
        tags = _tags_dict(params.get("Tags"))
        if len(tags) > MAX_TAGS:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400)
        arn = f"arn:aws:sns:{ctx.region}:{ctx.account_id}:{name}"
        existing = self.topics.get(ctx.account_id, ctx.region, name)
        if existing is not None:
            if any(existing.attributes.get(k) != v for k, v in stored.items()):
                raise invalid_parameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
            if tags and any(existing.tags.get(k) != v for k, v in tags.items()):
                raise invalid_parameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
            return {"TopicArn": existing.arn}
        if fifo_attr:
            stored.setdefault("ContentBasedDeduplication", "false")
        if params.get("DataProtectionPolicy"):
            stored["DataProtectionPolicy"] = params["DataProtectionPolicy"]
        stored.setdefault("Policy", topic_policy.default_policy(arn, ctx.account_id))
        self._save_topic(Topic(name, ctx.account_id, ctx.region, arn, fifo_attr, stored, tags))
        return {"TopicArn": arn}

    def delete_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete a topic and its subscriptions (deleting an absent topic is not an error)."""
        try:
            topic = self._topic(ctx, params["TopicArn"])
        except ServiceError as err:
            if err.code == "NotFound":
                return {}
            raise
        for sub in self.subscriptions.of_topic(topic.arn):
            self.subscriptions.delete(topic.account_id, topic.region, sub.id)
            self._say_goodbye(sub, topic, ctx, restorable=False)
        for sub in [s for s in self.unsubscribed.values(topic.account_id, topic.region) if s.topic_arn == topic.arn]:
            self.unsubscribed.delete(topic.account_id, topic.region, sub.id)
        self.topics.delete(topic.account_id, topic.region, topic.name)
        self._dedup.pop(topic.arn, None)
        return {}

    def list_topics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The account's topics in the region, 100 a page."""
        token = params.get("NextToken")
        after = decode_token(token, "sns:ListTopics", _bad_token) if token else None
        page = paginate(self.topics.values(ctx.account_id, ctx.region), lambda t: t.arn, after, PAGE_SIZE)
        result: dict[str, Any] = {"Topics": [{"TopicArn": t.arn} for t in page.items]}
        if page.truncated:
            result["NextToken"] = next_token(page, "sns:ListTopics")
        return result

    def get_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Set attributes plus the computed ones (owner, subscription counts, effective policy)."""
        topic = self._topic(ctx, params["TopicArn"])
        subs = self.subscriptions.of_topic(topic.arn)
        result = {
            "TopicArn": topic.arn,
            "Owner": topic.account_id,
            "DisplayName": "",
            "SubscriptionsPending": str(sum(1 for s in subs if not s.confirmed)),
            "SubscriptionsConfirmed": str(sum(1 for s in subs if s.confirmed)),
            "SubscriptionsDeleted": str(topic.deleted_subscriptions),
            "EffectiveDeliveryPolicy": attrs.effective_delivery_policy(topic.attributes.get("DeliveryPolicy", "")),
            "SignatureVersion": "1",
            "TracingConfig": "PassThrough",
        }
        result.update({k: v for k, v in topic.attributes.items() if v != ""})
        if topic.fifo:
            result["FifoTopic"] = "true"
        return {"Attributes": result}

    def set_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Change one topic attribute."""
        topic = self._topic(ctx, params["TopicArn"])
        name = params["AttributeName"]
        value = params.get("AttributeValue") or ""
        stored = attrs.validate_topic_attribute(name, value, topic.fifo) if value or name not in ("Policy",) else value
        new_attributes = dict(topic.attributes)
        if name == "Policy" and not value:
            new_attributes["Policy"] = topic_policy.default_policy(topic.arn, topic.account_id)
        else:
            new_attributes[name] = stored
        self._save_topic(Topic(topic.name, topic.account_id, topic.region, topic.arn, topic.fifo, new_attributes,
                               topic.tags, topic.deleted_subscriptions))
        return {}

    # -- permissions ----------------------------------------------------------------------------

    def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Add a statement allowing accounts some topic actions."""
        topic = self._topic(ctx, params["TopicArn"])
        policy = topic.attributes.get("Policy") or topic_policy.default_policy(topic.arn, topic.account_id)
        updated = topic_policy.add_permission(policy, topic.arn, params["Label"], params["AWSAccountId"], params["ActionName"])
        self._save_topic(Topic(topic.name, topic.account_id, topic.region, topic.arn, topic.fifo,
                               {**topic.attributes, "Policy": updated}, topic.tags, topic.deleted_subscriptions))
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Remove the statement with this label."""
        topic = self._topic(ctx, params["TopicArn"])
        policy = topic.attributes.get("Policy") or topic_policy.default_policy(topic.arn, topic.account_id)
        updated = topic_policy.remove_permission(policy, params["Label"])
        self._save_topic(Topic(topic.name, topic.account_id, topic.region, topic.arn, topic.fifo,
                               {**topic.attributes, "Policy": updated}, topic.tags, topic.deleted_subscriptions))
        return {}

    # -- tags -----------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._resource_topic(ctx, params["ResourceArn"])
        tags = {**topic.tags, **_tags_dict(params.get("Tags"))}
        if len(tags) > MAX_TAGS:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400)
        self._save_topic(Topic(topic.name, topic.account_id, topic.region, topic.arn, topic.fifo, topic.attributes,
                               tags, topic.deleted_subscriptions))
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._resource_topic(ctx, params["ResourceArn"])
        tags = {k: v for k, v in topic.tags.items() if k not in set(params.get("TagKeys") or [])}
        self._save_topic(Topic(topic.name, topic.account_id, topic.region, topic.arn, topic.fifo, topic.attributes,
                               tags, topic.deleted_subscriptions))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._resource_topic(ctx, params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in topic.tags.items()]}

    # -- subscriptions --------------------------------------------------------------------------

    def subscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Subscribe an endpoint; http/https/email subscriptions wait for confirmation."""
        topic = self._topic(ctx, params["TopicArn"])
        protocol = params["Protocol"].lower()
        endpoint = endpoints.validate_endpoint(protocol, params.get("Endpoint"), topic.fifo)
        requested = dict(params.get("Attributes") or {})
        stored: dict[str, str] = {}
        # FilterPolicyScope first: the policy is validated for the scope it will be used with.
        for key in sorted(requested, key=lambda k: k != "FilterPolicyScope"):
            stored[key] = attrs.validate_subscription_attribute(key, requested[key], protocol, stored, fifo_topic=topic.fifo)
        if protocol == "firehose" and not stored.get("SubscriptionRoleArn"):
            raise invalid_parameter("Invalid parameter: Attributes Reason: SubscriptionRoleArn is required for firehose subscriptions")
        if stored.get("FilterPolicy") and "FilterPolicyScope" not in stored:
            stored["FilterPolicyScope"] = "MessageAttributes"
        want_arn = bool(params.get("ReturnSubscriptionArn"))
        for existing in self.subscriptions.of_topic(topic.arn):
            if existing.protocol == protocol and existing.endpoint == endpoint:
                if any(existing.attributes.get(k) != v for k, v in stored.items()):
                    raise invalid_parameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
                if not existing.confirmed and not want_arn:
                    return {"SubscriptionArn": "pending confirmation"}
                return {"SubscriptionArn": existing.arn}
        confirmed = protocol in endpoints.CONFIRMED_AT_ONCE
        sub = Subscription(
            arn=f"{topic.arn}:{uuid.uuid4()}",
            topic_arn=topic.arn,
            owner=ctx.account_id,
            protocol=protocol,
            endpoint=endpoint,
            confirmed=confirmed,
            token="" if confirmed else secrets.token_hex(64),
            token_expires=0.0 if confirmed else self.runtime.clock.time() + TOKEN_TTL_SECONDS,
            base_url=self._base_url(ctx),
            attributes=stored,
        )
        self._save_subscription(sub)
        if not confirmed:
            self.delivery.confirm_request(sub, topic, ctx.now)
            if not want_arn:
                return {"SubscriptionArn": "pending confirmation"}
        return {"SubscriptionArn": sub.arn}

    def confirm_subscription(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Confirm with the token sent to the endpoint (works unsigned, from the SubscribeURL); the
        token of an UnsubscribeConfirmation restores the deleted subscription under its old ARN."""
        topic = self._find_topic(params["TopicArn"])
        token = params["Token"]
        now = self.runtime.clock.time()
        for sub in self.subscriptions.of_topic(topic.arn):
            if sub.token and secrets.compare_digest(sub.token, token):
                if sub.confirmed:
                    return {"SubscriptionArn": sub.arn}
                if now > sub.token_expires:
                    break
                authenticated = str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true"
                sub.confirmed = True
                sub.authenticated = authenticated and ctx.principal.kind != "anonymous"
                self._save_subscription(sub)
                return {"SubscriptionArn": sub.arn}
        restored = self._restore(topic, token, now)
        if restored is not None:
            for again in self.subscriptions.of_topic(topic.arn):
                if again.protocol == restored.protocol and again.endpoint == restored.endpoint:
                    return {"SubscriptionArn": again.arn}  # subscribed again meanwhile: nothing to restore
            authenticated = str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true"
            restored.authenticated = authenticated and ctx.principal.kind != "anonymous"
            self._save_subscription(restored)
            return {"SubscriptionArn": restored.arn}
        raise invalid_parameter("Invalid token")

    def unsubscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete a subscription: its owner, the topic owner, or anyone holding the UnsubscribeURL
        unless the subscription was confirmed with AuthenticateOnUnsubscribe."""
        sub = self._find_subscription(params["SubscriptionArn"])
        caller = ctx.principal
        region, account, name = split_topic_arn(sub.topic_arn)  # type: ignore[misc]
        anonymous = caller.kind == "anonymous"
        if anonymous and sub.authenticated:
            raise ServiceError("AuthorizationError", "Unsubscribe requires authentication for this subscription", 403)
        if not anonymous and caller.account_id not in (sub.owner, account):
            raise ServiceError("AuthorizationError", "User is not authorized to unsubscribe this subscription", 403)
        self.subscriptions.delete(account, region, sub.id)
        topic = self.topics.get(account, region, name)
        if topic is not None:
            self._save_topic(Topic(topic.name, topic.account_id, topic.region, topic.arn, topic.fifo, topic.attributes,
                                   topic.tags, topic.deleted_subscriptions + 1))
            self._say_goodbye(sub, topic, ctx, restorable=True)
        return {}

    def _say_goodbye(self, sub: Subscription, topic: Topic, ctx: RequestContext, *, restorable: bool) -> None:
        """A confirmed HTTP/HTTPS subscription just deleted gets an UnsubscribeConfirmation whose
        token (valid three days) restores it through ConfirmSubscription, unless its topic is going too."""
        if not sub.confirmed or sub.protocol not in ("http", "https"):
            return
        sub.token = secrets.token_hex(64)
        sub.token_expires = self.runtime.clock.time() + TOKEN_TTL_SECONDS
        if restorable:
            self.unsubscribed.put(topic.account_id, topic.region, sub.id, sub)
        self.delivery.confirm_request(sub, topic, ctx.now, "UnsubscribeConfirmation")

    def _restore(self, topic: Topic, token: str, now: float) -> Subscription | None:
        """The unsubscribed subscription ``token`` (from its UnsubscribeConfirmation) restores, if any."""
        for sub in self.unsubscribed.values(topic.account_id, topic.region):
            if sub.topic_arn != topic.arn:
                continue
            if now > sub.token_expires:
                self.unsubscribed.delete(topic.account_id, topic.region, sub.id)
            elif secrets.compare_digest(sub.token, token):
                self.unsubscribed.delete(topic.account_id, topic.region, sub.id)
                return sub
        return None

    @staticmethod
    def _listing(sub: Subscription) -> dict[str, str]:
        return {
            "SubscriptionArn": sub.arn if sub.confirmed else "PendingConfirmation",
            "Owner": sub.owner,
            "Protocol": sub.protocol,
            "Endpoint": sub.endpoint,
            "TopicArn": sub.topic_arn,
        }

    def _page(self, subs: list[Subscription], token: str | None, scope: str) -> dict[str, Any]:
        after = decode_token(token, scope, _bad_token) if token else None
        page = paginate(subs, lambda s: s.arn, after, PAGE_SIZE)
        result: dict[str, Any] = {"Subscriptions": [self._listing(s) for s in page.items]}
        if page.truncated:
            result["NextToken"] = next_token(page, scope)
        return result

    def list_subscriptions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The caller's subscriptions in the region, 100 a page."""
        subs = [s for _, region, _, s in self.subscriptions if s.owner == ctx.account_id and region == ctx.region]
        return self._page(subs, params.get("NextToken"), "sns:ListSubscriptions")

    def list_subscriptions_by_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(ctx, params["TopicArn"])
        return self._page(self.subscriptions.of_topic(topic.arn), params.get("NextToken"), "sns:ListSubscriptionsByTopic:" + topic.arn)

    def _owned_subscription(self, ctx: RequestContext, arn: str) -> Subscription:
        sub = self._find_subscription(arn)
        if ctx.account_id not in (sub.owner, sub.topic_arn.split(":")[4]):
            raise ServiceError("AuthorizationError", "User is not authorized to access this subscription", 403)
        return sub

    def get_subscription_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sub = self._owned_subscription(ctx, params["SubscriptionArn"])
        result = {
            "SubscriptionArn": sub.arn,
            "TopicArn": sub.topic_arn,
            "Owner": sub.owner,
            "Protocol": sub.protocol,
            "Endpoint": sub.endpoint,
            "ConfirmationWasAuthenticated": "true" if sub.authenticated or sub.confirmed and not sub.token else "false",
            "PendingConfirmation": "false" if sub.confirmed else "true",
            "RawMessageDelivery": "false",
            "SubscriptionPrincipal": f"arn:aws:iam::{sub.owner}:root",
        }
        if sub.protocol in ("http", "https"):
            topic = self._find_topic(sub.topic_arn)
            result["EffectiveDeliveryPolicy"] = attrs.effective_delivery_policy(
                topic.attributes.get("DeliveryPolicy", ""), sub.attribute("DeliveryPolicy")
            )
        result.update({k: v for k, v in sub.attributes.items() if v != ""})
        return {"Attributes": result}

    def set_subscription_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sub = self._owned_subscription(ctx, params["SubscriptionArn"])
        name = params["AttributeName"]
        value = params.get("AttributeValue") or ""
        fifo_topic = sub.topic_arn.endswith(".fifo")  # only FIFO topics' names end so
        stored = attrs.validate_subscription_attribute(name, value, sub.protocol, sub.attributes, fifo_topic=fifo_topic)
        new_attributes = dict(sub.attributes)
        new_attributes[name] = stored
        if name == "FilterPolicy":
            if stored:
                new_attributes.setdefault("FilterPolicyScope", "MessageAttributes")
            else:
                new_attributes.pop("FilterPolicy", None)
                new_attributes.pop("FilterPolicyScope", None)
        sub.attributes = new_attributes
        self._save_subscription(sub)
        return {}

    # -- publishing -----------------------------------------------------------------------------

    def _next_sequence(self, topic_arn: str) -> str:
        """Ever-increasing 20-digit sequence numbers per FIFO topic."""
        candidate = int(self.runtime.clock.time() * 1_000_000) * 100
        value = max(candidate, self._sequence.get(topic_arn, 0) + 1)
        self._sequence[topic_arn] = value
        return f"{value:020d}"[-20:]

    def _prepare(self, ctx: RequestContext, topic: Topic, entry: dict[str, Any]) -> tuple[Published, bool]:
        """Validate one message for ``topic``; returns it and whether it is a FIFO duplicate."""
        message = entry.get("Message")
        per_protocol = messages.validate_message(message, entry.get("MessageStructure"))
        messages.validate_subject(entry.get("Subject"))
        attributes = dict(entry.get("MessageAttributes") or {})
        messages.validate_size(message, messages.validate_attributes(attributes))
        group_id, dedup_id = entry.get("MessageGroupId"), entry.get("MessageDeduplicationId")
        content_dedup = topic.attributes.get("ContentBasedDeduplication") == "true"
        messages.validate_fifo_ids(topic.fifo, group_id, dedup_id, content_dedup)
        published = Published(
            message_id=str(uuid.uuid4()), topic=topic, message=message, subject=entry.get("Subject"),
            attributes=attributes, moment=ctx.now, per_protocol=per_protocol, group_id=group_id,
        )
        if not topic.fifo:
            return published, False
        published.dedup_id = dedup_id or hashlib.sha256(message.encode("utf-8")).hexdigest()
        now = self.runtime.clock.time()
        seen = self._dedup.setdefault(topic.arn, {})
        for key in [k for k, (expires, _, _) in seen.items() if expires <= now]:
            del seen[key]
        previous = seen.get(published.dedup_id)
        if previous is not None:
            published.message_id, published.sequence_number = previous[1], previous[2]
            return published, True
        published.sequence_number = self._next_sequence(topic.arn)
        seen[published.dedup_id] = (now + DEDUP_WINDOW_SECONDS, published.message_id, published.sequence_number)
        return published, False

    def _result(self, published: Published) -> dict[str, Any]:
        result = {"MessageId": published.message_id}
        if published.sequence_number is not None:
            result["SequenceNumber"] = published.sequence_number
        return result

    def publish(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Publish to a topic (TopicArn or TargetArn) or straight to a phone number (SMS)."""
        targets = [k for k in ("TopicArn", "TargetArn", "PhoneNumber") if params.get(k)]
        if not targets:
            raise invalid_parameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
        if len(targets) > 1:
            raise invalid_parameter(
                "Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified"
            )
        if targets[0] == "PhoneNumber":
            return self._publish_sms(ctx, params)
        arn = params[targets[0]]
        if targets[0] == "TargetArn" and split_topic_arn(arn) is None or ":endpoint/" in arn:
            raise invalid_parameter("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
        topic = self._topic(ctx, arn, "Publish")
        published, duplicate = self._prepare(ctx, topic, params)
        if not duplicate:
            self.delivery.fan_out(published, self.subscriptions.of_topic(topic.arn))
        return self._result(published)

    def _publish_sms(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        number = params["PhoneNumber"]
        messages.validate_phone_number(number)
        message = params.get("Message")
        per_protocol = messages.validate_message(message, params.get("MessageStructure"))
        text = per_protocol.get("sms", per_protocol["default"]) if per_protocol else message
        message_id = str(uuid.uuid4())
        self.delivery.to_outbox(
            type="Notification", protocol="sms", endpoint=number, topic_arn=None, subscription_arn=None,
            message_id=message_id, subject=params.get("Subject"), message=text, timestamp=timestamp(ctx.now),
            account_id=ctx.account_id, region=ctx.region,
        )
        return {"MessageId": message_id}

    def publish_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Up to ten messages to one topic; invalid entries fail on their own."""
        topic = self._topic(ctx, params["TopicArn"], "PublishBatch")
        entries = params.get("PublishBatchRequestEntries") or []
        if not entries:
            raise ServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries", 400)
        if len(entries) > 10:
            raise ServiceError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.", 400)
        ids = [entry.get("Id", "") for entry in entries]
        if len(set(ids)) != len(ids):
            raise ServiceError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", 400)
        for entry_id in ids:
            if not _BATCH_ID.match(entry_id):
                raise ServiceError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                    "It can be at most 80 letters long.",
                    400,
                )
        total = sum(
            len((entry.get("Message") or "").encode("utf-8")) + messages.attributes_size(entry.get("MessageAttributes") or {})
            for entry in entries
        )
        if total > messages.MAX_MESSAGE_BYTES:
            raise ServiceError("BatchRequestTooLong", "The length of all the batch messages put together is more than the limit.", 400)
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        subscriptions = self.subscriptions.of_topic(topic.arn)
        for entry in entries:
            try:
                published, duplicate = self._prepare(ctx, topic, entry)
            except ServiceError as err:
                failed.append({"Id": entry["Id"], "Code": err.code, "Message": err.message, "SenderFault": err.sender_fault})
                continue
            if not duplicate:
                self.delivery.fan_out(published, subscriptions)
            successful.append({"Id": entry["Id"], **self._result(published)})
        return {"Successful": successful, "Failed": failed}

    # -- admin hooks ------------------------------------------------------------------------------

    def admin_request(self, method: str, path: str) -> tuple[int, str, bytes] | None:
        """Admin API requests under ``/_pycloud/sns/``: the outbox (GET lists, DELETE clears) and the
        signing certificate. Returns (status, content type, body), or None for an unknown path."""
        if path == "outbox":
            if method == "GET":
                return 200, "application/json", json.dumps({"messages": self.delivery.outbox}).encode()
            if method == "DELETE":
                self.delivery.outbox.clear()
                return 200, "application/json", b'{"cleared": true}'
            return 405, "application/json", json.dumps({"error": "MethodNotAllowed", "message": f"{method} is not allowed"}).encode()
        if method == "GET" and path.endswith(".pem"):
            pem = self.signer.certificate_pem  # creates the key, and so the certificate's name
            if path == self.signer.cert_name:
                return 200, "application/x-pem-file", pem
        return None
