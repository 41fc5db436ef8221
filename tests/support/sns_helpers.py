"""Shared pieces of the SNS tests: checking a message's signature the way a consumer does, and
running the AWS CLI against a server."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.request
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding


def verify_sns_signature(pem: bytes, document: dict) -> None:
    """Rebuild a notification or confirmation's string to sign and check its signature with the
    certificate's key (``pem``); raises cryptography's InvalidSignature when it does not match."""
    if document["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{n}\n{document[n]}\n" for n in names if n in document)
    digest = hashes.SHA1() if document["SignatureVersion"] == "1" else hashes.SHA256()
    key = x509.load_pem_x509_certificate(pem).public_key()
    key.verify(base64.b64decode(document["Signature"]), text.encode(), padding.PKCS1v15(), digest)


def verify_signature(document: dict) -> None:
    """Check a document's signature like a consumer: fetch SigningCertURL, rebuild the string to sign."""
    with urllib.request.urlopen(document["SigningCertURL"], timeout=10) as response:
        verify_sns_signature(response.read(), document)


def run_aws_cli(endpoint: str, *args: str, region: str = "us-east-1", access_key: str = "test",
                secret_key: str = "test", debug: bool = False) -> subprocess.CompletedProcess:
    """``aws <args>`` (the awscli package of this interpreter) against ``endpoint``, with JSON output
    and no user configuration; ``debug`` adds the CLI's wire log to stderr."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
           "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    env.pop("AWS_PROFILE", None)
    command = [sys.executable, "-m", "awscli", "--endpoint-url", endpoint, "--output", "json", *args]
    if debug:
        command.insert(3, "--debug")
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def aws_json(endpoint: str, *args: str, **options: Any) -> Any:
    """Run the CLI and return its parsed output (None when it printed nothing); a failure fails the test."""
    done = run_aws_cli(endpoint, *args, **options)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None
