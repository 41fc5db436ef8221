"""Lambda operations: ListFunctions so far."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.awslambda.models import LATEST, Function, FunctionVersion
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.pagination import decode_token, next_token, paginate
from pycloud.state.table import RecordTable

PAGE_SIZE = 50
"""Lambda never returns more than 50 functions per call, whatever MaxItems says."""

_TOKEN_SCOPE = "lambda:ListFunctions"


def _invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, 400, fields={"Type": "User"})


def _bad_marker() -> ServiceError:
    return _invalid_parameter("Invalid marker value")


def _sort_key(function: Function, version: FunctionVersion) -> str:
    # "$LATEST" sorts before digits; published versions in numeric order.
    suffix = version.version if version.version == LATEST else version.version.zfill(10)
    return f"{function.name}\x00{suffix}"


class LambdaProvider(Provider):
    """AWS Lambda."""

    service = "lambda"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.functions: RecordTable[Function] = RecordTable(runtime.state, self.service, "function", Function)

    def reset(self) -> None:
        self.functions.clear()

    def list_functions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The region's functions (``$LATEST``, or every version with ``FunctionVersion=ALL``), 50 a page."""
        # MaxItems' range and the FunctionVersion/MasterRegion values are checked against the model.
        max_items = params.get("MaxItems")
        all_versions = params.get("FunctionVersion")
        master_region = params.get("MasterRegion")
        if master_region is not None:
            if all_versions != "ALL":
                raise _invalid_parameter("FunctionVersion must be ALL when MasterRegion is specified")
        marker = params.get("Marker")
        after = decode_token(marker, _TOKEN_SCOPE, _bad_marker) if marker else None

        entries = [
            (_sort_key(function, version), function, version)
            for function in self.functions.values(ctx.account_id, ctx.region)
            for version in function.versions(include_published=all_versions == "ALL")
            if master_region is None or self._replicates_from(version, master_region)
        ]
        page = paginate(entries, lambda e: e[0], after, min(max_items or PAGE_SIZE, PAGE_SIZE))
        result: dict[str, Any] = {"Functions": [fn.configuration(version) for _, fn, version in page.items]}
        marker_out = next_token(page, _TOKEN_SCOPE)
        if marker_out:
            result["NextMarker"] = marker_out
        return result

    @staticmethod
    def _replicates_from(version: FunctionVersion, master_region: str) -> bool:
        if not version.master_arn:
            return False
        return master_region == "ALL" or version.master_arn.split(":")[3] == master_region
