"""Running the AWS CLI (the awscli package of this interpreter) against a server, isolated from
the user's configuration and credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def run_aws_cli(endpoint: str, *args: str, region: str = "us-east-1", access_key: str = "test",
                secret_key: str = "test", session_token: str | None = None, debug: bool = False,
                timeout: float = 60) -> subprocess.CompletedProcess:
    """``aws <args>`` (the awscli package of this interpreter) against ``endpoint``, with JSON output
    and no user configuration; ``debug`` adds the CLI's wire log to stderr."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
           "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    if session_token:
        env["AWS_SESSION_TOKEN"] = session_token
    command = [sys.executable, "-m", "awscli", "--endpoint-url", endpoint, "--output", "json", *args]
    if debug:
        command.insert(3, "--debug")
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


def aws_json(endpoint: str, *args: str, **options: Any) -> Any:
    """Run the CLI and return its parsed output (None when it printed nothing); a failure fails the test."""
    done = run_aws_cli(endpoint, *args, **options)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None
