"""Lambda control-plane records: the function registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pycloud.state.table import RecordModel

LATEST = "$LATEST"


def lambda_timestamp(value: datetime) -> str:
    """Lambda's ``LastModified`` form: ``2024-01-02T03:04:05.000+0000``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def function_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


@dataclass
class FunctionVersion(RecordModel):
    """One version of a function's configuration (``$LATEST`` or a published number)."""

    version: str
    runtime: str | None
    role: str
    handler: str | None
    code_size: int
    code_sha256: str
    last_modified: datetime
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    package_type: str = "Zip"
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    environment: dict[str, str] | None = None
    state: str = "Active"
    revision_id: str = ""
    master_arn: str | None = None
    """Set on Lambda@Edge replicas: the function they replicate."""


@dataclass
class Function(RecordModel):
    """A function: its ``$LATEST`` configuration and its published versions."""

    name: str
    arn: str
    latest: dict[str, Any]
    published: list[dict[str, Any]] = field(default_factory=list)

    def versions(self, include_published: bool) -> list[FunctionVersion]:
        """``$LATEST`` and, when asked, every published version."""
        records = [self.latest] + (self.published if include_published else [])
        return [FunctionVersion.from_record(r) for r in records]

    def configuration(self, version: FunctionVersion) -> dict[str, Any]:
        """The FunctionConfiguration output shape of one version."""
        arn = self.arn if version.version == LATEST else f"{self.arn}:{version.version}"
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": arn,
            "Role": version.role,
            "CodeSize": version.code_size,
            "Description": version.description,
            "Timeout": version.timeout,
            "MemorySize": version.memory_size,
            "LastModified": lambda_timestamp(version.last_modified),
            "CodeSha256": version.code_sha256,
            "Version": version.version,
            "TracingConfig": {"Mode": "PassThrough"},
            "PackageType": version.package_type,
            "Architectures": list(version.architectures),
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.name}"},
        }
        if version.revision_id:
            config["RevisionId"] = version.revision_id
        if version.runtime:
            config["Runtime"] = version.runtime
        if version.handler:
            config["Handler"] = version.handler
        if version.environment is not None:
            config["Environment"] = {"Variables": dict(version.environment)}
        if version.master_arn:
            config["MasterArn"] = version.master_arn
        return config
