"""AWS managed policies (``arn:aws:iam::aws:policy/...``): read once from the JSON files in ``managed/``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pycloud.services.sts.provider import derived_unique_id

_DIR = Path(__file__).with_name("managed")
CREATED = 1423094400.0
"""2015-02-05: when AWS managed policies were introduced (the CreateDate they all report here)."""


@dataclass(frozen=True)
class AwsPolicy:
    """One AWS managed policy (version ``v1``, the default)."""

    name: str
    path: str
    description: str
    document: str

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"

    @property
    def policy_id(self) -> str:
        return derived_unique_id("ANPA", self.arn)


@cache
def aws_policies() -> dict[str, AwsPolicy]:
    """Every AWS managed policy pycloud ships, by ARN."""
    found = {}
    for file in sorted(_DIR.glob("*.json")):
        data = json.loads(file.read_text())
        policy = AwsPolicy(file.stem, data["path"], data["description"], json.dumps(data["document"], indent=4))
        found[policy.arn] = policy
    return found


def aws_policy(arn: str) -> AwsPolicy | None:
    """The AWS managed policy named by ``arn``, or None."""
    return aws_policies().get(arn)
