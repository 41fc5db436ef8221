"""The IAM policy language and evaluation engine.

Pure: no I/O and no knowledge of services beyond what a request carries. Shared by IAM identity
policies, S3/SQS/SNS resource policies, Organizations SCPs/RCPs, permissions boundaries and STS
session policies.

    doc = parse_policy(text, kind="identity")          # PolicyError on malformed documents
    decision = evaluate(AuthRequest(principal, "s3:GetObject", "arn:aws:s3:::b/k"), identity=[doc])
    if not decision:
        raise AccessDenied(decision.message(principal.arn, "s3:GetObject", "arn:aws:s3:::b/k"))
"""

from .document import KINDS, PolicyDocument, Statement, parse_policy
from .errors import PolicyError
from .evaluate import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    NamedPolicy,
    StatementRef,
    evaluate,
)
from .request import AuthRequest, Principal

__all__ = [
    "ALLOW",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "KINDS",
    "AuthRequest",
    "Decision",
    "NamedPolicy",
    "PolicyDocument",
    "PolicyError",
    "Principal",
    "Statement",
    "StatementRef",
    "evaluate",
    "parse_policy",
]
