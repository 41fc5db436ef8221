"""Shared pieces of the SNS tests: checking a message's signature the way a consumer does."""

from __future__ import annotations

import base64
import urllib.request

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
