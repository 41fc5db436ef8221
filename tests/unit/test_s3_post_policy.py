"""The S3 POST policy document: parsing, condition matching, covered fields, size range (no server)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from pycloud.protocol.errors import ServiceError
from pycloud.services.s3.post_policy import (
    EQ,
    STARTS_WITH,
    Condition,
    check_form,
    decode_policy,
)

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LATER = "2026-03-04T06:00:00.000Z"


def _encode(document: object) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def _policy(*conditions: object, expiration: str = LATER):
    return decode_policy(_encode({"expiration": expiration, "conditions": list(conditions)}))


def _error(call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        call(*args)
    return info.value


# -- conditions -----------------------------------------------------------------------------------


def test_exact_match_in_both_forms():
    policy = _policy({"key": "a.txt"}, ["eq", "$Content-Type", "text/plain"])
    assert policy.conditions == (Condition(EQ, "key", "a.txt"), Condition(EQ, "content-type", "text/plain"))
    assert policy.conditions[0].matches({"key": "a.txt"})
    assert not policy.conditions[0].matches({"key": "a.txt2"})
    assert not policy.conditions[0].matches({})  # an absent field is the empty string
    assert not policy.conditions[1].matches({"content-type": "TEXT/plain"})  # values are case-sensitive


def test_starts_with_and_empty_prefix():
    prefix = Condition(STARTS_WITH, "key", "user/alice/")
    assert prefix.matches({"key": "user/alice/photo.jpg"})
    assert not prefix.matches({"key": "user/bob/photo.jpg"})
    anything = Condition(STARTS_WITH, "x-amz-meta-tag", "")
    assert anything.matches({"x-amz-meta-tag": "whatever"})
    assert anything.matches({})


def test_starts_with_on_a_content_type_list_checks_each_value():
    condition = Condition(STARTS_WITH, "content-type", "image/")
    assert condition.matches({"content-type": "image/png, image/jpeg"})
    assert not condition.matches({"content-type": "image/png, text/html"})


def test_operator_and_field_names_are_case_insensitive():
    policy = _policy(["Starts-With", "$KEY", "up/"])
    assert policy.conditions == (Condition(STARTS_WITH, "key", "up/"),)


def test_describe_quotes_the_condition_as_s3_does():
    assert Condition(EQ, "key", "a.txt").describe() == '["eq", "$key", "a.txt"]'
    assert Condition(STARTS_WITH, "key", "up/").describe() == '["starts-with", "$key", "up/"]'


def test_integer_values_compare_as_text():
    policy = _policy({"success_action_status": 201})
    assert policy.conditions[0].matches({"success_action_status": "201"})


def test_content_length_range_is_parsed_and_intersected():
    assert _policy(["content-length-range", 1, 100]).length_range == (1, 100)
    assert _policy(["content-length-range", "5", "50"]).length_range == (5, 50)
    assert _policy(["content-length-range", 1, 100], ["content-length-range", 10, 1000]).length_range == (10, 100)
    assert _policy({"key": "k"}).length_range is None


# -- malformed documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "fragment"),
    [
        ("not base64!", "Invalid JSON"),
        (base64.b64encode(b"{nope").decode(), "Invalid JSON"),
        (_encode(["a list"]), "Invalid JSON"),
        (_encode({"conditions": []}), "missing expiration"),
        (_encode({"expiration": "tomorrow", "conditions": []}), "Invalid 'expiration'"),
        (_encode({"expiration": LATER}), "missing conditions"),
        (_encode({"expiration": LATER, "conditions": {"key": "a"}}), "must be a list"),
        (_encode({"expiration": LATER, "conditions": [{"a": "1", "b": "2"}]}), "exactly one property"),
        (_encode({"expiration": LATER, "conditions": [["matches", "$key", "a"]]}), "unknown operation"),
        (_encode({"expiration": LATER, "conditions": [["eq", "key", "a"]]}), "starting with '$'"),
        (_encode({"expiration": LATER, "conditions": [["eq", "$key"]]}), "exactly two arguments"),
        (_encode({"expiration": LATER, "conditions": [["content-length-range", -1, 5]]}), "content-length-range"),
        (_encode({"expiration": LATER, "conditions": [["content-length-range", 1]]}), "content-length-range"),
        (_encode({"expiration": LATER, "conditions": ["key"]}), "object or an array"),
    ],
)
def test_malformed_policies_are_invalid_policy_documents(encoded, fragment):
    err = _error(decode_policy, encoded)
    assert (err.code, err.status) == ("InvalidPolicyDocument", 400)
    assert err.message.startswith("Invalid Policy: ")
    assert fragment in err.message


def test_expiration_without_fraction_or_zone_is_utc():
    assert _policy(expiration="2026-03-04T06:00:00Z").expiration == datetime(2026, 3, 4, 6, tzinfo=UTC)
    assert _policy(expiration="2026-03-04T06:00:00").expiration == datetime(2026, 3, 4, 6, tzinfo=UTC)


# -- the whole form -------------------------------------------------------------------------------


def test_a_form_meeting_every_condition_passes():
    policy = _policy({"bucket": "b1"}, ["starts-with", "$key", "up/"], {"acl": "private"}, ["content-length-range", 0, 9])
    fields = {"key": "up/a", "acl": "private", "policy": "...", "awsaccesskeyid": "AK", "signature": "s",
              "x-ignore-note": "anything"}
    check_form(policy, fields, "b1", NOW)


def test_expired_policy_is_refused_first():
    policy = _policy({"key": "other"}, expiration=(NOW - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    err = _error(check_form, policy, {"key": "k"}, "b1", NOW)
    assert (err.code, err.status, err.message) == ("AccessDenied", 403, "Invalid according to Policy: Policy expired.")


def test_failed_condition_is_named():
    policy = _policy(["starts-with", "$key", "up/"])
    err = _error(check_form, policy, {"key": "down/a"}, "b1", NOW)
    assert (err.code, err.status) == ("AccessDenied", 403)
    assert err.message == 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "up/"]'


def test_bucket_condition_sees_the_posted_bucket():
    policy = _policy({"bucket": "b1"}, ["starts-with", "$key", ""])
    check_form(policy, {"key": "k"}, "b1", NOW)
    err = _error(check_form, policy, {"key": "k", "bucket": "b1"}, "b2", NOW)
    assert err.message.endswith('["eq", "$bucket", "b1"]')


def test_fields_no_condition_names_are_extra_input():
    policy = _policy(["starts-with", "$key", ""])
    err = _error(check_form, policy, {"key": "k", "x-amz-meta-a": "1", "content-type": "t"}, "b1", NOW)
    assert (err.code, err.status) == ("AccessDenied", 403)
    assert err.message == "Invalid according to Policy: Extra input fields: x-amz-meta-a, content-type"
