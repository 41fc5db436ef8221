"""Lambda operations → IAM actions and resources (see ``pycloud.iam.actions``): the function a
request names (by name, partial or full ARN, with a qualifier)."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable, arn


def _function(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    name = params.get("FunctionName") or ""
    if not name:
        return ["*"]
    if name.startswith("arn:"):
        return [name]
    if ":" in name:  # "123456789012:function:name" or "name:qualifier"
        parts = name.split(":")
        if len(parts) >= 3 and parts[1] == "function":
            return [arn("lambda", ctx, ":".join(parts[1:]), account=parts[0])]
    return [arn("lambda", ctx, f"function:{name}")]


TABLE = ActionTable(
    "lambda",
    rules={
        "Invoke": ActionRule("lambda:InvokeFunction", _function),
        "InvokeAsync": ActionRule("lambda:InvokeFunction", _function),
        "InvokeWithResponseStream": ActionRule("lambda:InvokeFunction", _function),
    },
    default_resources=_function,
)
