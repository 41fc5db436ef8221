"""The SNS JSON envelope (notifications, subscription and unsubscribe confirmations) and its signature.

Messages are signed as SNS documents: the string to sign is ``Name\\nValue\\n`` for a fixed list of
fields in byte order (Message, MessageId, Subject?, Timestamp, TopicArn, Type for notifications;
Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type for subscription and unsubscribe
confirmations), signed with RSA PKCS#1 v1.5 over SHA-1 (SignatureVersion 1) or SHA-256 (2). The RSA key and a self-signed
certificate are made once per process; the certificate is served at ``SigningCertURL`` by the admin
API so consumers can verify signatures as they would against AWS.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
CERT_PATH_PREFIX = "/_pycloud/sns/"


def timestamp(moment: datetime) -> str:
    """SNS's envelope time: ISO 8601 UTC with milliseconds (``2024-05-01T12:00:00.123Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def string_to_sign(envelope: dict[str, Any]) -> str:
    """The canonical text SNS signs for an envelope (fields absent from it are skipped)."""
    kind = envelope.get("Type")
    names = NOTIFICATION_FIELDS if kind == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{envelope[name]}\n" for name in names if envelope.get(name) is not None)


class Signer:
    """The process's SNS signing key and certificate (created on first use, thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = None
        self._cert_pem = b""
        self.cert_name = ""

    def _ensure(self) -> None:
        if self._key is not None:
            return
        with self._lock:
            if self._key is not None:
                return
            # cryptography is imported here, not at start-up: SNS signing is its only user.
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
            from cryptography.x509.oid import NameOID

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pycloud"),
            ])
            start = datetime(2000, 1, 1)  # valid whatever the virtual clock says
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(start + timedelta(days=365 * 200))
                .sign(key, hashes.SHA256())
            )
            self._cert_pem = cert.public_bytes(serialization.Encoding.PEM)
            self.cert_name = f"SimpleNotificationService-{hashlib.sha256(self._cert_pem).hexdigest()[:32]}.pem"
            self._key = key

    @property
    def certificate_pem(self) -> bytes:
        """The PEM certificate whose public key verifies every signature this signer makes."""
        self._ensure()
        return self._cert_pem

    def cert_url(self, base_url: str) -> str:
        """Where pycloud serves the certificate (``SigningCertURL``)."""
        self._ensure()
        return f"{base_url}{CERT_PATH_PREFIX}{self.cert_name}"

    def sign(self, text: str, version: str) -> str:
        """Base64 RSA signature of ``text``: SHA-1 for SignatureVersion "1", SHA-256 for "2"."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        self._ensure()
        digest = hashes.SHA256() if version == "2" else hashes.SHA1()
        signature = self._key.sign(text.encode("utf-8"), padding.PKCS1v15(), digest)
        return base64.b64encode(signature).decode("ascii")


def envelope_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Message attributes as the envelope shows them: ``{"Type", "Value"}`` (binary as base64)."""
    shown: dict[str, dict[str, str]] = {}
    for name, attribute in sorted(attributes.items()):
        if attribute.get("BinaryValue") is not None:
            value = base64.b64encode(attribute["BinaryValue"]).decode("ascii")
        else:
            value = attribute.get("StringValue", "")
        shown[name] = {"Type": attribute["DataType"], "Value": value}
    return shown


def notification(
    signer: Signer,
    *,
    base_url: str,
    message_id: str,
    topic_arn: str,
    subscription_arn: str,
    message: str,
    subject: str | None,
    moment: datetime,
    signature_version: str,
    attributes: dict[str, dict[str, Any]],
    sequence_number: str | None = None,
) -> dict[str, Any]:
    """A signed ``Notification`` envelope, fields in the order SNS writes them."""
    envelope: dict[str, Any] = {"Type": "Notification", "MessageId": message_id}
    if sequence_number is not None:
        envelope["SequenceNumber"] = sequence_number
    envelope["TopicArn"] = topic_arn
    if subject is not None:
        envelope["Subject"] = subject
    envelope["Message"] = message
    envelope["Timestamp"] = timestamp(moment)
    envelope["SignatureVersion"] = signature_version
    envelope["Signature"] = signer.sign(string_to_sign(envelope), signature_version)
    envelope["SigningCertURL"] = signer.cert_url(base_url)
    envelope["UnsubscribeURL"] = f"{base_url}/?Action=Unsubscribe&SubscriptionArn={quote(subscription_arn, safe='')}"
    if attributes:
        envelope["MessageAttributes"] = envelope_attributes(attributes)
    return envelope


def confirmation(
    signer: Signer,
    *,
    kind: str,
    base_url: str,
    message_id: str,
    topic_arn: str,
    token: str,
    moment: datetime,
    signature_version: str,
    subscription_arn: str = "",
) -> dict[str, Any]:
    """A signed ``SubscriptionConfirmation`` or ``UnsubscribeConfirmation`` envelope. Both carry a
    token and a SubscribeURL: confirming it subscribes, or restores the deactivated
    ``subscription_arn``."""
    confirm_url = f"{base_url}/?Action=ConfirmSubscription&TopicArn={quote(topic_arn, safe='')}&Token={token}"
    if kind == "SubscriptionConfirmation":
        text = (
            f"You have chosen to subscribe to the topic {topic_arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )
    else:
        text = (
            f"You have chosen to deactivate subscription {subscription_arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        )
    envelope: dict[str, Any] = {
        "Type": kind,
        "MessageId": message_id,
        "Token": token,
        "TopicArn": topic_arn,
        "Message": text,
        "SubscribeURL": confirm_url,
        "Timestamp": timestamp(moment),
        "SignatureVersion": signature_version,
    }
    envelope["Signature"] = signer.sign(string_to_sign(envelope), signature_version)
    envelope["SigningCertURL"] = signer.cert_url(base_url)
    return envelope
