"""DynamoDB operations → IAM actions and resources (see ``pycloud.iam.actions``): the table (or
tables, for batch and transaction operations) a request names."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable, arn


def _table_arn(ctx: RequestContext, name: str) -> str:
    return name if name.startswith("arn:") else arn("dynamodb", ctx, f"table/{name}")


def _tables(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    if params.get("TableName"):
        return [_table_arn(ctx, params["TableName"])]
    if params.get("ResourceArn"):
        return [params["ResourceArn"]]
    names = list(params.get("RequestItems") or {})
    for item in params.get("TransactItems") or []:
        for operation in (item or {}).values():
            if isinstance(operation, dict) and operation.get("TableName"):
                names.append(operation["TableName"])
    return [_table_arn(ctx, name) for name in dict.fromkeys(names)]


TABLE = ActionTable(
    "dynamodb",
    rules={
        "TransactWriteItems": ActionRule("dynamodb:PutItem", _tables),  # AWS checks each item's own action
        "TransactGetItems": ActionRule("dynamodb:GetItem", _tables),
        "BatchWriteItem": ActionRule("dynamodb:BatchWriteItem", _tables),
        "BatchGetItem": ActionRule("dynamodb:BatchGetItem", _tables),
    },
    default_resources=_tables,
)
