"""The SNS JSON envelope: fields, string to sign, and signatures a consumer can verify."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from sns_helpers import verify_sns_signature

from pycloud.services.sns import envelope

BASE = "http://127.0.0.1:4566"
TOPIC = "arn:aws:sns:us-east-1:000000000000:orders"
SUBSCRIPTION = TOPIC + ":7e2b0d3c-1111-2222-3333-444455556666"
MOMENT = datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=UTC)


@pytest.fixture(scope="module")
def signer() -> envelope.Signer:
    return envelope.Signer()


def _notification(signer: envelope.Signer, version: str, subject: str | None = "Hello", **extra) -> dict:
    return envelope.notification(
        signer, base_url=BASE, message_id="0d9b6f3c-aaaa-bbbb-cccc-ddddeeeeffff", topic_arn=TOPIC,
        subscription_arn=SUBSCRIPTION, message="a message\nwith two lines", subject=subject, moment=MOMENT,
        signature_version=version, attributes=extra.pop("attributes", {}), **extra,
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_notification_signature_verifies(signer, version):
    note = _notification(signer, version)
    verify_sns_signature(signer.certificate_pem, note)
    tampered = dict(note, Message="something else")
    with pytest.raises(InvalidSignature):
        verify_sns_signature(signer.certificate_pem, tampered)


def test_signature_versions_use_different_digests(signer):
    note = _notification(signer, "1")
    with pytest.raises(InvalidSignature):
        verify_sns_signature(signer.certificate_pem, dict(note, SignatureVersion="2"))


def test_notification_fields_and_order(signer):
    note = _notification(
        signer, "1", attributes={"color": {"DataType": "String", "StringValue": "red"},
                                 "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}},
    )
    assert list(note) == [
        "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
        "SigningCertURL", "UnsubscribeURL", "MessageAttributes",
    ]
    assert note["Timestamp"] == "2024-05-01T12:30:45.123Z"
    assert note["SigningCertURL"] == f"{BASE}/_pycloud/sns/{signer.cert_name}"
    assert note["UnsubscribeURL"] == (
        f"{BASE}/?Action=Unsubscribe&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders%3A"
        "7e2b0d3c-1111-2222-3333-444455556666"
    )
    assert note["MessageAttributes"] == {
        "blob": {"Type": "Binary", "Value": "AQI="},
        "color": {"Type": "String", "Value": "red"},
    }


def test_string_to_sign_skips_absent_subject(signer):
    note = _notification(signer, "2", subject=None)
    assert "Subject" not in note
    assert envelope.string_to_sign(note) == (
        f"Message\na message\nwith two lines\nMessageId\n{note['MessageId']}\nTimestamp\n{note['Timestamp']}\n"
        f"TopicArn\n{TOPIC}\nType\nNotification\n"
    )
    verify_sns_signature(signer.certificate_pem, note)


def test_fifo_notification_carries_sequence_number(signer):
    note = _notification(signer, "2", sequence_number="10000000000000000001")
    assert list(note)[:3] == ["Type", "MessageId", "SequenceNumber"]
    verify_sns_signature(signer.certificate_pem, note)


@pytest.mark.parametrize("version", ["1", "2"])
def test_subscription_confirmation_signature_verifies(signer, version):
    doc = envelope.confirmation(
        signer, kind="SubscriptionConfirmation", base_url=BASE, message_id="m-1", topic_arn=TOPIC,
        token="abc123", moment=MOMENT, signature_version=version,
    )
    assert doc["SubscribeURL"] == (
        f"{BASE}/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders&Token=abc123"
    )
    assert TOPIC in doc["Message"]
    verify_sns_signature(signer.certificate_pem, doc)


def test_certificate_is_stable_and_named_after_its_content(signer):
    pem = signer.certificate_pem
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert signer.certificate_pem == pem
    assert signer.cert_name.startswith("SimpleNotificationService-") and signer.cert_name.endswith(".pem")
    other = envelope.Signer()
    assert other.certificate_pem != pem
    note = _notification(other, "1")
    with pytest.raises(InvalidSignature):
        verify_sns_signature(pem, note)
