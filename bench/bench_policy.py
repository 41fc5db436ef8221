"""Cost of one authorization decision against a 10-statement identity policy.

pytest-benchmark:  python3 -m pytest bench/bench_policy.py --benchmark-enable
Quick figure:      PYTHONPATH=. python3 bench/bench_policy.py
The policy mixes exact and wildcard actions, ARN patterns, a policy variable and conditions, and
the decision is reached at its last statement, so every statement is examined. Documents are
compiled once (as the gateway does through the parse cache); each round evaluates a request.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pycloud.iam.policy import AuthRequest, Principal, evaluate, parse_policy

ACCOUNT = "111122223333"
STATEMENTS = [
    {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:Get*"], "Resource": "*"},
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:*:{ACCOUNT}:orders-*"},
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/T/*"},
    {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
    {"Effect": "Allow", "Action": "sns:Publish", "Resource": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"},
    {"Effect": "Allow", "Action": "logs:*", "Resource": f"arn:aws:logs:*:{ACCOUNT}:log-group:/app/*"},
    {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data",
     "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}},
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/home/${aws:username}/*",
     "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
]  # fmt: skip
POLICY = parse_policy({"Version": "2012-10-17", "Statement": STATEMENTS})
PRINCIPAL = Principal.from_arn(f"arn:aws:iam::{ACCOUNT}:user/bob", user_id="AIDABOB")
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def make_request() -> AuthRequest:
    """The request every round decides (allowed by the last statement)."""
    context = {"aws:SourceIp": "10.1.2.3", "aws:SecureTransport": True}
    return AuthRequest(PRINCIPAL, "s3:GetObject", "arn:aws:s3:::data/home/bob/report.csv", context=context, now=NOW)


def decide() -> bool:
    return evaluate(make_request(), identity=[POLICY]).allowed


def test_evaluate_ten_statements(benchmark):
    assert benchmark(decide) is True


def main() -> None:
    assert decide()
    rounds = 20000
    start = time.perf_counter()
    for _ in range(rounds):
        decide()
    elapsed = time.perf_counter() - start
    print(f"10-statement policy: {elapsed / rounds * 1e6:.1f} µs per decision ({rounds} rounds)")


if __name__ == "__main__":
    main()
