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
    "sts": "pycloud.services.sts.provider:StsProvider",
}


def get_provider_class(service: str) -> type[Provider] | None:
    """The provider class for a botocore service name, or None when pycloud has none."""
    target = PROVIDERS.get(service)
    if target is None:
        return None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise TypeError(f"{target} is not a Provider subclass")
    return cls
