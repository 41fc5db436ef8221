"""IAM and STS through the AWS CLI: the README's least-privilege flow (a user with an AWS managed
read-only policy and its own key), and assuming a role from the command line."""

from __future__ import annotations

import importlib.util
import json
import uuid

import pytest
from aws_cli import aws_json, run_aws_cli

from pycloud.testing.plugin import private_server_fixture

# Looked up, not imported: importing awscli into the test process would change how botocore parses
# timestamps for every later test.
if importlib.util.find_spec("awscli") is None:
    pytest.skip("the AWS CLI (awscli) is not installed", allow_module_level=True)

pycloud = private_server_fixture()  # the default account's buckets stay as other modules expect


def test_read_only_user_from_the_cli(pycloud):
    bucket = f"cli-iam-{uuid.uuid4().hex[:12]}"
    user = f"reader-{uuid.uuid4().hex[:8]}"
    aws_json(pycloud.endpoint, "s3api", "create-bucket", "--bucket", bucket)
    aws_json(pycloud.endpoint, "iam", "create-user", "--user-name", user)
    aws_json(pycloud.endpoint, "iam", "attach-user-policy", "--user-name", user,
             "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    key = aws_json(pycloud.endpoint, "iam", "create-access-key", "--user-name", user)["AccessKey"]
    as_user = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}

    identity = aws_json(pycloud.endpoint, "sts", "get-caller-identity", **as_user)
    assert identity["Arn"] == f"arn:aws:iam::000000000000:user/{user}"
    listed = aws_json(pycloud.endpoint, "s3api", "list-objects-v2", "--bucket", bucket, **as_user)
    assert listed is None or listed.get("KeyCount", 0) == 0
    denied = run_aws_cli(pycloud.endpoint, "s3api", "put-object", "--bucket", bucket, "--key", "k", **as_user)
    assert denied.returncode != 0
    assert "AccessDenied" in denied.stderr and "s3:PutObject" in denied.stderr


def test_assume_role_from_the_cli(pycloud):
    role = f"cli-role-{uuid.uuid4().hex[:8]}"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]})
    aws_json(pycloud.endpoint, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust)
    user = f"assumer-{uuid.uuid4().hex[:8]}"
    aws_json(pycloud.endpoint, "iam", "create-user", "--user-name", user)
    aws_json(pycloud.endpoint, "iam", "put-user-policy", "--user-name", user, "--policy-name", "assume",
             "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [{
                 "Effect": "Allow", "Action": "sts:AssumeRole",
                 "Resource": f"arn:aws:iam::000000000000:role/{role}"}]}))
    key = aws_json(pycloud.endpoint, "iam", "create-access-key", "--user-name", user)["AccessKey"]
    creds = aws_json(pycloud.endpoint, "sts", "assume-role", "--role-arn", f"arn:aws:iam::000000000000:role/{role}",
                     "--role-session-name", "cli", access_key=key["AccessKeyId"],
                     secret_key=key["SecretAccessKey"])["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    done = run_aws_cli(pycloud.endpoint, "sts", "get-caller-identity", access_key=creds["AccessKeyId"],
                       secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{role}/cli"
