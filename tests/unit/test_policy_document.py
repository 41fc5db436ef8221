"""Policy document parsing, validation and the Action/Resource/Principal matchers."""

import json

import pytest

from pycloud.iam.policy import PolicyError, Principal, parse_policy
from pycloud.iam.policy.matching import compile_arn_pattern, compile_wildcard
from pycloud.iam.policy.request import AuthRequest, ContextView
from pycloud.iam.policy.variables import Template


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def allow(**fields):
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **fields}


def ctx(**context):
    return ContextView(
        AuthRequest(Principal.from_arn("arn:aws:iam::111122223333:user/bob"), "s3:GetObject", context=context)
    )


# --- parsing -------------------------------------------------------------------------------


def test_statement_object_or_list_and_text_input():
    single = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": allow(Sid="One")}))
    assert len(single.statements) == 1 and single.statements[0].sid == "One"
    many = parse_policy(doc(allow(), {"Effect": "Deny", "Action": "*", "Resource": "*"}))
    assert [s.effect for s in many.statements] == ["Allow", "Deny"]
    assert many.version == "2012-10-17"


def test_text_is_cached():
    text = json.dumps(doc(allow()))
    assert parse_policy(text) is parse_policy(text)
    assert parse_policy(parse_policy(text)) is parse_policy(text)


def test_missing_version_defaults_to_2008_and_disables_variables():
    old = parse_policy({"Statement": [allow(Resource="arn:aws:s3:::b/${aws:username}")]})
    assert old.version == "2008-10-17"
    assert old.statements[0].matches_resource("arn:aws:s3:::b/${aws:username}", ctx())
    assert not old.statements[0].matches_resource("arn:aws:s3:::b/bob", ctx())
    new = parse_policy(doc(allow(Resource="arn:aws:s3:::b/${aws:username}")))
    assert new.statements[0].matches_resource("arn:aws:s3:::b/bob", ctx())


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "Syntax errors in policy."),
        ("[]", "Syntax errors in policy."),
        ({"Version": "2012-10-17"}, "Syntax errors in policy."),
        ({"Version": "2012-10-17", "Statement": []}, "Syntax errors in policy."),
        ({"Version": "2012-10-17", "Statement": [allow()], "Extra": 1}, "Syntax errors in policy."),
        ({"Version": "2012-10-18", "Statement": [allow()]}, "The policy failed legacy parsing"),
        (doc({"Action": "s3:*", "Resource": "*"}), "Missing required field Effect"),
        (doc(allow(Effect="Permit")), "Invalid effect: Permit"),
        (doc({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
        (doc(allow(NotAction="s3:Put*")), "Statement cannot contain both Action and NotAction."),
        (doc(allow(Action="GetObject")), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (doc(allow(Resource="bucket")), 'Resource bucket must be in ARN format or "*".'),
        (doc(allow(Resource="arn:foo:s3:::b")), 'Partition "foo" is not valid for resource "arn:foo:s3:::b".'),
        (doc(allow(NotResource="*")), "Statement cannot contain both Resource and NotResource."),
        (doc(allow(Sid="a"), allow(Sid="a")), "Statement IDs (SID) in a single policy must be unique."),
        (doc(allow(Frobnicate=1)), "Syntax errors in policy."),
        (doc(allow(Action=[])), "Syntax errors in policy."),
        (doc(allow(Action=5)), "Syntax errors in policy."),
        (doc(allow(Condition={"StringEqualz": {"aws:username": "x"}})), "Invalid Condition type : StringEqualz"),
        (
            doc(allow(Condition={"ForSomeValues:StringEquals": {"aws:username": "x"}})),
            "Invalid Condition type : ForSomeValues:StringEquals",
        ),
        (
            doc(allow(Condition={"StringEquals": {"username": "x"}})),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (doc(allow(Condition={"StringEquals": "x"})), "Syntax errors in policy."),
        (doc(allow(Condition={"StringEquals": {"aws:username": {"a": 1}}})), "Syntax errors in policy."),
        (doc(allow(Principal={"AWS": "bob"})), 'Invalid principal in policy: "AWS":"bob"'),
        (
            doc(allow(Principal={"AWS": "arn:aws:iam::111122223333:user/*"})),
            'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"',
        ),
        (doc(allow(Principal={"Bogus": "x"})), 'Invalid principal in policy: "Bogus"'),
        (doc(allow(Principal="someone")), "Invalid principal in policy"),
        (doc(allow(Principal="*", NotPrincipal="*")), "Statement cannot contain both Principal and NotPrincipal."),
    ],
)
def test_malformed_documents(document, message):
    with pytest.raises(PolicyError) as err:
        parse_policy(document if isinstance(document, str) else json.dumps(document))
    assert err.value.message == message
    assert err.value.code == "MalformedPolicyDocument"


def test_sid_must_be_alphanumeric_for_iam_policies_only():
    with pytest.raises(PolicyError, match="alpha-numeric"):
        parse_policy(doc(allow(Sid="has space")), kind="identity")
    resource = doc(allow(Sid="has space", Principal="*"))
    assert parse_policy(resource, kind="resource").statements[0].sid == "has space"


def test_kind_rules():
    with pytest.raises(PolicyError, match="^Policy document should not specify a principal.$"):
        parse_policy(doc(allow(Principal="*")), kind="identity")
    with pytest.raises(PolicyError, match="^Missing required field Principal$"):
        parse_policy(doc(allow()), kind="resource")
    with pytest.raises(PolicyError, match="^Policy statement must contain resources.$"):
        parse_policy(doc({"Effect": "Allow", "Action": "s3:*"}), kind="identity")
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}})
    assert parse_policy(trust, kind="trust").has_principal
    with pytest.raises(PolicyError, match="^Has prohibited field Resource$"):
        parse_policy(doc(allow(Principal="*")), kind="trust")
    with pytest.raises(ValueError):
        parse_policy(doc(allow()), kind="nonsense")


def test_flags():
    d = parse_policy(
        doc(
            allow(),
            {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::b", "NotPrincipal": {"AWS": "111122223333"}},
        )
    )
    assert d.has_not_principal and not d.has_principal and d.has_any_principal and not d.all_have_principal
    assert d.has_resource and d.all_have_resource and not d.has_conditions


def test_not_principal_with_allow_is_rejected():
    with pytest.raises(PolicyError):
        parse_policy(doc(allow(NotPrincipal={"AWS": "111122223333"})))


# --- actions -------------------------------------------------------------------------------


def statement(**fields):
    return parse_policy(doc(allow(**fields))).statements[0]


@pytest.mark.parametrize(
    ("patterns", "action", "expected"),
    [
        ("s3:GetObject", "s3:getobject", True),
        ("S3:GETOBJECT", "s3:getobject", True),
        ("s3:Get*", "s3:getobjectacl", True),
        ("s3:Get*", "s3:putobject", False),
        ("s3:*Object", "s3:deleteobject", True),
        ("s3:Get?bject", "s3:getobject", True),
        ("s3:Get?bject", "s3:getoobject", False),
        ("*", "ec2:runinstances", True),
        (["sqs:SendMessage", "sns:*"], "sns:publish", True),
        (["sqs:SendMessage", "sns:*"], "sqs:receivemessage", False),
        ("iam:*AccessKey*", "iam:createaccesskey", True),
    ],
)
def test_action_matching(patterns, action, expected):
    assert statement(Action=patterns).matches_action(action) is expected


def test_not_action_inverts():
    s = parse_policy(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})).statements[0]
    assert s.matches_action("s3:getobject")
    assert not s.matches_action("iam:createuser")


# --- resources -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("*", "anything", True),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket", True),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::Bucket", False),  # ARNs are case-sensitive
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-2/key", True),
        ("arn:aws:sqs:*:111122223333:queue?", "arn:aws:sqs:us-east-1:111122223333:queue1", True),
        ("arn:aws:sqs:*:111122223333:queue?", "arn:aws:sqs:us-east-1:111122223333:queue10", False),
        # a wildcard in one field does not swallow the next one
        ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:us-east-1:444455556666:111122223333:q", False),
        (
            "arn:aws:dynamodb:us-east-1:111122223333:table/T/*",
            "arn:aws:dynamodb:us-east-1:111122223333:table/T/index/I",
            True,
        ),
        ("arn:aws:lambda:*:*:function:f:*", "arn:aws:lambda:eu-west-1:111122223333:function:f:7", True),
        ("arn:aws:s3:*", "arn:aws:s3:::bucket/key", True),
        ("arn:aws:s3:::bucket/*", "not-an-arn", False),
    ],
)
def test_resource_matching(pattern, resource, expected):
    assert statement(Resource=pattern).matches_resource(resource, ctx()) is expected


def test_not_resource():
    s = parse_policy(
        doc({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::safe", "arn:aws:s3:::safe/*"]})
    ).statements[0]
    assert not s.matches_resource("arn:aws:s3:::safe/key", ctx())
    assert s.matches_resource("arn:aws:s3:::other/key", ctx())


def test_resource_variables():
    s = statement(Resource="arn:aws:s3:::home/${aws:username}/*")
    assert s.matches_resource("arn:aws:s3:::home/bob/notes.txt", ctx())
    assert not s.matches_resource("arn:aws:s3:::home/alice/notes.txt", ctx())


def test_resource_variable_without_value_does_not_match():
    s = statement(Resource="arn:aws:s3:::home/${aws:PrincipalTag/team}/*")
    assert not s.matches_resource("arn:aws:s3:::home/x/y", ctx())
    assert not s.matches_resource("arn:aws:s3:::home/${aws:PrincipalTag/team}/y", ctx())


def test_resource_variable_default_and_escapes():
    s = statement(Resource="arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*")
    assert s.matches_resource("arn:aws:s3:::b/shared/k", ctx())
    literal = statement(Resource="arn:aws:s3:::b/star${*}")
    assert literal.matches_resource("arn:aws:s3:::b/star*", ctx())
    assert not literal.matches_resource("arn:aws:s3:::b/starfish", ctx())


def test_substituted_wildcards_are_literal():
    s = statement(Resource="arn:aws:s3:::b/${s3:x}/k")
    assert not s.matches_resource("arn:aws:s3:::b/anything/k", ctx(**{"s3:x": "*"}))
    assert s.matches_resource("arn:aws:s3:::b/*/k", ctx(**{"s3:x": "*"}))


def test_multivalued_key_does_not_substitute():
    s = statement(Resource="arn:aws:s3:::b/${aws:TagKeys}")
    assert not s.matches_resource("arn:aws:s3:::b/a", ctx(**{"aws:TagKeys": ["a", "b"]}))
    # Multivalued is a property of the key, not of how many values this request carries.
    assert not s.matches_resource("arn:aws:s3:::b/a", ctx(**{"aws:TagKeys": ["a"]}))
    single = statement(Resource="arn:aws:s3:::b/${s3:prefix}")
    assert single.matches_resource("arn:aws:s3:::b/a", ctx(**{"s3:prefix": "a"}))


# --- variables and wildcards directly -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${aws:username}", "bob"),
        ("${AWS:UserName}", "bob"),  # variable names are case-insensitive
        ("a-${missing:key, 'dflt'}-b", "a-dflt-b"),
        ("${missing:key,'it''s'}", "it's"),
        ("${missing:key , 'x'  }", "x"),
        ("${$}{x}", "${x}"),
        ("${?}", "?"),
        ("${aws:username", "${aws:username"),  # unterminated: literal text
        ("${}", "${}"),
        ("${missing:key, '${aws:username}'}", "${aws:username}"),  # substitution is not re-scanned
    ],
)
def test_template_render(text, expected):
    assert Template(text).render(ctx().single, pattern=False) == expected


def test_template_missing_without_default_is_none():
    assert Template("x/${aws:PrincipalTag/nope}").render(ctx().single, pattern=False) is None


def test_wildcard_compiler():
    assert compile_wildcard("a*c")("abbbc")
    assert not compile_wildcard("a*c")("abbbd")
    assert compile_wildcard("A?C", ignore_case=True)("abc")
    assert compile_wildcard("x.y")("x.y") and not compile_wildcard("x.y")("xzy")
    assert compile_arn_pattern("arn:aws:iam::*:role/*")("arn:aws:iam::111122223333:role/a/b")
    assert not compile_arn_pattern("arn:aws:iam::*:role/*")("arn:aws:iam::111122223333:user/a")
