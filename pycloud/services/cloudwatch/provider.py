"""CloudWatch operations: ListMetrics so far."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.cloudwatch.models import Metric, metric_key
from pycloud.services.pagination import decode_token, next_token, paginate
from pycloud.state.table import RecordTable

PAGE_SIZE = 500
"""ListMetrics returns up to 500 metrics per call."""

RECENTLY_ACTIVE = {"PT3H": timedelta(hours=3)}
MAX_DIMENSION_FILTERS = 10

_TOKEN_SCOPE = "cloudwatch:ListMetrics"


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, 400)


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The service couldn't process the NextToken.", 400)


class CloudWatchProvider(Provider):
    """Amazon CloudWatch."""

    service = "cloudwatch"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.metrics: RecordTable[Metric] = RecordTable(runtime.state, self.service, "metric", Metric)

    def reset(self) -> None:
        self.metrics.clear()

    def record_metric(
        self, account_id: str, region: str, namespace: str, name: str, dimensions: list[dict[str, str]], when: datetime
    ) -> Metric:
        """Register that a metric received a datapoint at ``when`` (PutMetricData and AWS services call this)."""
        key = metric_key(namespace, name, dimensions)
        metric = self.metrics.get(account_id, region, key)
        if metric is None:
            metric = Metric(namespace, name, [dict(d) for d in dimensions], when)
        elif metric.last_published is None or when > metric.last_published:
            metric.last_published = when
        else:
            return metric
        self.metrics.put(account_id, region, key, metric)
        return metric

    def list_metrics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Metrics of the account and region matching namespace, name, dimensions and activity."""
        namespace = params.get("Namespace")
        name = params.get("MetricName")
        dim_filters = params.get("Dimensions") or []
        if len(dim_filters) > MAX_DIMENSION_FILTERS:
            raise _invalid(f"The collection Dimensions must not have a size greater than {MAX_DIMENSION_FILTERS}.")
        for flt in dim_filters:
            if not flt.get("Name"):
                raise ServiceError("MissingParameter", "The parameter Dimensions.member.Name is required.", 400)
        recently = params.get("RecentlyActive")
        if recently is not None and recently not in RECENTLY_ACTIVE:
            raise _invalid(f"The value {recently} for parameter RecentlyActive is not valid.")
        token = params.get("NextToken")
        after = decode_token(token, _TOKEN_SCOPE, _bad_token) if token else None

        owning = params.get("OwningAccount")
        # No cross-account observability links exist yet: only the caller's own metrics are visible.
        source = (
            [] if owning is not None and owning != ctx.account_id else self.metrics.items(ctx.account_id, ctx.region)
        )
        since = ctx.now - RECENTLY_ACTIVE[recently] if recently else None
        matching = [
            (key, metric)
            for key, metric in source
            if (namespace is None or metric.namespace == namespace)
            and (name is None or metric.name == name)
            and metric.matches_dimensions(dim_filters)
            and (since is None or (metric.last_published is not None and metric.last_published >= since))
        ]
        page = paginate(matching, lambda item: item[0], after, PAGE_SIZE)
        result: dict[str, Any] = {
            "Metrics": [
                {"Namespace": m.namespace, "MetricName": m.name, "Dimensions": [dict(d) for d in m.dimensions]}
                for _, m in page.items
            ]
        }
        if params.get("IncludeLinkedAccounts"):
            result["OwningAccounts"] = [ctx.account_id] * len(page.items)
        token_out = next_token(page, _TOKEN_SCOPE)
        if token_out:
            result["NextToken"] = token_out
        return result
