"""Which class implements each service, imported only when the service is first used.

Keys are botocore's service names (its data directory names); values are ``module:Class``.
"""

from __future__ import annotations

import importlib

from pycloud.services.base import Provider

PROVIDERS: dict[str, str] = {
    "cloudwatch": "pycloud.services.cloudwatch.provider:CloudWatchProvider",
    "dynamodb": "pycloud.services.dynamodb.provider:DynamoDbProvider",
    "ec2": "pycloud.services.ec2.provider:Ec2Provider",
    "lambda": "pycloud.services.awslambda.provider:LambdaProvider",
    "s3": "pycloud.services.s3.provider:S3Provider",
    "sns": "pycloud.services.sns.provider:SnsProvider",
    "sts": "pycloud.services.sts.provider:StsProvider",
}


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
