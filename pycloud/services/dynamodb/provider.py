"""DynamoDB operations: ListTables so far."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.dynamodb.models import Table
from pycloud.services.pagination import paginate
from pycloud.state.table import RecordTable

LIST_TABLES_MAX = 100


class DynamoDbProvider(Provider):
    """Amazon DynamoDB."""

    service = "dynamodb"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.tables: RecordTable[Table] = RecordTable(runtime.state, self.service, "table", Table)

    def reset(self) -> None:
        self.tables.clear()

    def list_tables(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Table names of the account and region in order, up to ``Limit`` after ``ExclusiveStartTableName``."""
        limit = params.get("Limit")
        start = params.get("ExclusiveStartTableName")
        # Limit's range and the start name's length/pattern are checked against the model before here.
        # The start name need not exist: listing resumes after it in name order.
        page = paginate(
            self.tables.values(ctx.account_id, ctx.region), lambda t: t.name, start, limit or LIST_TABLES_MAX
        )
        result: dict[str, Any] = {"TableNames": [t.name for t in page.items]}
        if page.last_key is not None:
            result["LastEvaluatedTableName"] = page.last_key
        return result
