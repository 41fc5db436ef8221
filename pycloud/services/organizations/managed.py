"""The AWS managed policies every organization has, attached by default when their type is enabled."""

from __future__ import annotations

from dataclasses import dataclass

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"

POLICY_TYPE_PATHS = {
    SCP: "service_control_policy",
    RCP: "resource_control_policy",
    "TAG_POLICY": "tag_policy",
    "BACKUP_POLICY": "backup_policy",
    "AISERVICES_OPT_OUT_POLICY": "aiservices_opt_out_policy",
    "CHATBOT_POLICY": "chatbot_policy",
    "DECLARATIVE_POLICY_EC2": "declarative_policy_ec2",
    "SECURITYHUB_POLICY": "securityhub_policy",
}
"""Policy type → the segment its policy ARNs carry (other types fall back to the lowercased type)."""

JSON_POLICY_TYPES = frozenset({SCP, RCP})
"""Types whose content is an IAM policy document, validated by the policy engine."""

MAX_CONTENT = {SCP: 5120, RCP: 5120}
"""Maximum characters of a policy document, per type (others: 10,000)."""
DEFAULT_MAX_CONTENT = 10_000


def type_path(policy_type: str) -> str:
    """The ARN segment of ``policy_type`` (``SERVICE_CONTROL_POLICY`` → ``service_control_policy``)."""
    return POLICY_TYPE_PATHS.get(policy_type, policy_type.lower())


@dataclass(frozen=True)
class ManagedPolicy:
    """A policy AWS owns: readable and attachable by every organization, never changed."""

    id: str
    name: str
    description: str
    type: str
    content: str

    @property
    def arn(self) -> str:
        return f"arn:aws:organizations::aws:policy/{type_path(self.type)}/{self.id}"


FULL_AWS_ACCESS = ManagedPolicy(
    id="p-FullAWSAccess",
    name="FullAWSAccess",
    description="Allows access to every operation",
    type=SCP,
    content='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
)

RCP_FULL_AWS_ACCESS = ManagedPolicy(
    id="p-RCPFullAWSAccess",
    name="RCPFullAWSAccess",
    description="Allows access to every operation",
    type=RCP,
    content='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
)

MANAGED: dict[str, ManagedPolicy] = {p.id: p for p in (FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS)}
"""Managed policies by id."""

DEFAULT_ATTACHMENT: dict[str, ManagedPolicy] = {SCP: FULL_AWS_ACCESS, RCP: RCP_FULL_AWS_ACCESS}
"""Policy type → the managed policy attached to every root, OU and account while the type is enabled."""

MIN_ONE_ATTACHED = frozenset({SCP})
"""Types of which every target must keep at least one policy attached (DetachPolicy refuses the last)."""
