"""ARN parsing and formatting."""

import pytest

from pycloud.iam.arn import (
    Arn,
    ArnError,
    account_of,
    format_arn,
    is_account_id,
    is_arn,
    parse_arn,
    root_arn,
    session_role_arn,
)


def test_parse_fields_and_round_trip():
    arn = parse_arn("arn:aws:lambda:us-east-1:123456789012:function:my-fn:1")
    assert arn == Arn("aws", "lambda", "us-east-1", "123456789012", "function:my-fn:1")
    assert arn.resource_type == "function"
    assert arn.resource_id == "my-fn:1"
    assert str(arn) == "arn:aws:lambda:us-east-1:123456789012:function:my-fn:1"


def test_s3_arn_has_empty_region_and_account():
    arn = parse_arn("arn:aws:s3:::bucket/key/with:colon")
    assert (arn.region, arn.account, arn.resource) == ("", "", "bucket/key/with:colon")
    assert arn.resource_type == "bucket"
    assert account_of("arn:aws:s3:::bucket") == ""


def test_resource_without_type():
    arn = parse_arn("arn:aws:sns:us-east-1:123456789012:topic")
    assert arn.resource_type == ""
    assert arn.resource_id == "topic"


@pytest.mark.parametrize(
    "text",
    ["", "arn:aws:s3", "urn:aws:s3:::b", "arn::s3:::b", "arn:aws::::b", "arn:aws:s3:::", "bucket"],
)
def test_rejects_non_arns(text):
    with pytest.raises(ArnError):
        parse_arn(text)
    assert not is_arn(text)


def test_rejects_non_string():
    with pytest.raises(ArnError):
        parse_arn(None)  # type: ignore[arg-type]


def test_format_and_root():
    assert (
        format_arn("sqs", "q1", account="111122223333", region="eu-west-1") == "arn:aws:sqs:eu-west-1:111122223333:q1"
    )
    assert format_arn("s3", "b", partition="aws-cn") == "arn:aws-cn:s3:::b"
    assert root_arn("111122223333") == "arn:aws:iam::111122223333:root"
    assert account_of("arn:aws:iam::111122223333:user/bob") == "111122223333"
    assert account_of("not an arn") == ""


def test_account_id():
    assert is_account_id("111122223333")
    assert not is_account_id("11112222333")
    assert not is_account_id("11112222333x")


def test_session_role_arn():
    assert (
        session_role_arn("arn:aws:sts::111122223333:assumed-role/Admin/alice") == "arn:aws:iam::111122223333:role/Admin"
    )
    assert session_role_arn("arn:aws:iam::111122223333:user/bob") is None
    assert session_role_arn("arn:aws:sts::111122223333:assumed-role/") is None
    assert session_role_arn("garbage") is None
