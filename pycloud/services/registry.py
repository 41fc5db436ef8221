"""Which class implements each service, imported only when the service is first used.

Keys are botocore's service names (its data directory names); values are ``module:Class``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pycloud.events import S3_NOTIFICATION_TOPIC, SQS_DELIVERY_TOPIC
from pycloud.services.base import Provider

if TYPE_CHECKING:
    from pycloud.events import EventBus

PROVIDERS: dict[str, str] = {
    "cloudwatch": "pycloud.services.cloudwatch.provider:CloudWatchProvider",
    "dynamodb": "pycloud.services.dynamodb.provider:DynamoDbProvider",
    "ebs": "pycloud.services.ebs.provider:EbsProvider",
    "ec2": "pycloud.services.ec2.provider:Ec2Provider",
    "iam": "pycloud.services.iam.provider:IamProvider",
    "lambda": "pycloud.services.awslambda.provider:LambdaProvider",
    "organizations": "pycloud.services.organizations.provider:OrganizationsProvider",
    "s3": "pycloud.services.s3.provider:S3Provider",
    "sns": "pycloud.services.sns.provider:SnsProvider",
    "sqs": "pycloud.services.sqs.provider:SqsProvider",
    "sts": "pycloud.services.sts.provider:StsProvider",
}


CONSUMERS: dict[str, tuple[str, ...]] = {
    S3_NOTIFICATION_TOPIC: ("sqs",),  # bucket notifications with queue destinations
    SQS_DELIVERY_TOPIC: ("sqs",),  # SNS subscriptions with the sqs protocol
}
"""Bus topic → services whose provider consumes its events (``provider.consume(topic, event)``).

:func:`subscribe_consumers` subscribes them when the app starts, so deliveries never depend on the
consuming service having served a request; the provider itself is still created on first use."""


def subscribe_consumers(events: EventBus, provider: Callable[[str], Provider | None]) -> None:
    """Subscribe every :data:`CONSUMERS` entry on ``events``; ``provider(service)`` returns the
    live provider (the dispatcher's, created on demand). A provider without ``consume`` (a
    ``--provider`` override) is skipped."""
    for topic, services in CONSUMERS.items():
        for service in services:

            def deliver(event: Any, topic: str = topic, service: str = service) -> None:
                consume = getattr(provider(service), "consume", None)
                if consume is not None:
                    consume(topic, event)

            events.subscribe(topic, deliver)


def parse_overrides(spec: str) -> dict[str, str]:
    """``"sqs=my.module:MySqs,s3=other:S3"`` → ``{"sqs": "my.module:MySqs", ...}``; ValueError if malformed."""
    overrides: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        service, sep, target = item.partition("=")
        module_name, colon, class_name = target.partition(":")
        if not (sep and colon and service and module_name and class_name):
            raise ValueError(f"provider override must look like SERVICE=MODULE:CLASS, got {item!r}")
        overrides[service.strip()] = target.strip()
    return overrides


def get_provider_class(service: str, overrides: dict[str, str] | None = None) -> type[Provider] | None:
    """The provider class for a botocore service name, or None when pycloud has none.

    ``overrides`` (from the ``providers`` setting) replace or add implementations: users plug in
    their own providers this way, and the test suite plugs in protocol stubs.
    """
    target = (overrides or {}).get(service) or PROVIDERS.get(service)
    if target is None:
        return None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise TypeError(f"{target} is not a Provider subclass")
    return cls
