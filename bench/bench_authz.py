"""The cost of IAM authorization on the S3 GET hot path.

One pycloud server; the same ``pycloud bench s3-get`` (4 KiB objects, 64 connections) signed by
the account's root user and by an IAM user with 10 attached customer-managed policies (one of them
grants the S3 actions the workload needs, the other nine grant unrelated actions and carry
conditions, so every decision scans them all). Runs alternate (root, user, root, user ...) so both
see the same machine; the ratio user/root is the figure (target ≥ 0.90).

Run: ``pip install '.[bench]' && python bench/bench_authz.py`` (``--duration 10 --rounds 2`` by default).
Writes ``bench/results/authz.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent


def _policy(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def iam_user_with_ten_policies(iam) -> tuple[str, str]:
    """An IAM user with 10 attached managed policies; its access key (id, secret)."""
    iam.create_user(UserName="bench-user")
    grants = _policy([{"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListBucket", "s3:GetObject",
                                                      "s3:PutObject", "s3:DeleteObject", "s3:ListAllMyBuckets"],
                       "Resource": "*"}])
    arns = [iam.create_policy(PolicyName="bench-s3", PolicyDocument=grants)["Policy"]["Arn"]]
    for i in range(9):
        other = _policy([
            {"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish", "dynamodb:GetItem"],
             "Resource": f"arn:aws:sqs:*:*:queue-{i}-*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::protected-{i}",
             "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": f"team-{i}"}}},
        ])
        arns.append(iam.create_policy(PolicyName=f"bench-other-{i}", PolicyDocument=other)["Policy"]["Arn"])
    for arn in arns:
        iam.attach_user_policy(UserName="bench-user", PolicyArn=arn)
    key = iam.create_access_key(UserName="bench-user")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def s3_get(endpoint: str, access_key: str, secret_key: str, duration: int) -> float:
    """``pycloud bench s3-get`` against ``endpoint`` signed with the key; requests/s."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "runs.json"
        done = subprocess.run(
            [sys.executable, "-P", "-m", "pycloud", "bench", "s3-get", "--endpoint", f"pycloud={endpoint}",
             "--access-key", access_key, "--secret-key", secret_key, "--duration", str(duration),
             "--concurrency", "64", "--json", str(out)],
            text=True, capture_output=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pycloud bench failed:\n{done.stdout}\n{done.stderr}")
        run = json.loads(out.read_text())["runs"][0]
        if run["errors"]:
            raise RuntimeError(f"s3-get answered {run['errors']} errors")
        return run["ops_per_s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from pycloud.testing.server import PycloudServer

    with PycloudServer() as server:
        iam = server.client("iam")
        user_key, user_secret = iam_user_with_ten_policies(iam)
        root, user = [], []
        for _ in range(args.rounds):
            root.append(s3_get(server.endpoint, "test", "test", args.duration))
            user.append(s3_get(server.endpoint, user_key, user_secret, args.duration))
            print(f"root {root[-1]:,.0f} req/s   IAM user (10 policies) {user[-1]:,.0f} req/s", flush=True)
    ratio = median(user) / median(root)
    print(f"S3 GET 4 KiB: root {median(root):,.0f} req/s, IAM user with 10 attached policies "
          f"{median(user):,.0f} req/s = {ratio:.2f}x the root path (target >= 0.90)")
    sys.path.insert(0, str(HERE))
    from bench_gateway import write_results

    write_results("authz", {"root_per_s": root, "iam_user_per_s": user, "ratio": ratio})
    return 0


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]
    raise SystemExit(main())
