"""The IAM provider's contracts with authorization: identity_policies, the generation bump, and
the IamDirectory lookups STS and Organizations use."""

from __future__ import annotations

import json

import pytest

from pycloud.clock import Clock
from pycloud.context import Principal, RequestContext
from pycloud.events import EventBus
from pycloud.iam.credentials import CredentialStore
from pycloud.iam.directory import PolicyDirectory, SessionData
from pycloud.services.base import ServiceRuntime
from pycloud.services.iam.provider import IamProvider
from pycloud.state.store import StateStore

ACCOUNT = "123456789012"
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def iam(tmp_path):
    state = StateStore.open(tmp_path / "state")
    policies = PolicyDirectory()
    runtime = ServiceRuntime(Clock(), state, EventBus(), CredentialStore(), policies=policies)
    provider = IamProvider(runtime)
    policies.attach(lambda service: provider if service == "iam" else None)
    yield provider
    state.close()


def _ctx(provider: IamProvider) -> RequestContext:
    root = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")
    return RequestContext("r", "iam", "op", "us-east-1", ACCOUNT, root, provider.runtime.clock.now())


def test_user_sees_own_and_group_policies(iam):
    ctx = _ctx(iam)
    iam.create_user(ctx, {"UserName": "alice", "Path": "/p/"})
    iam.create_group(ctx, {"GroupName": "g"})
    iam.add_user_to_group(ctx, {"GroupName": "g", "UserName": "alice"})
    iam.put_user_policy(ctx, {"UserName": "alice", "PolicyName": "mine", "PolicyDocument": DOC})
    iam.attach_group_policy(ctx, {"GroupName": "g", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    iam.put_user_permissions_boundary(ctx, {"UserName": "alice",
                                            "PermissionsBoundary": "arn:aws:iam::aws:policy/AmazonS3FullAccess"})
    principal = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/p/alice", "user")
    view = iam.identity_policies(principal)
    assert [p.name for p in view.identity] == ["inline:mine", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert view.boundary is not None and view.boundary.name.endswith("AmazonS3FullAccess")
    assert view.exists and view.path_arn == f"arn:aws:iam::{ACCOUNT}:user/p/alice"
    assert iam.identity_policies(principal) is view  # memoised until something changes
    generation = iam.runtime.policies.generation
    iam.remove_user_from_group(ctx, {"GroupName": "g", "UserName": "alice"})
    assert iam.runtime.policies.generation > generation
    assert [p.name for p in iam.identity_policies(principal).identity] == ["inline:mine"]


def test_role_sessions_federated_users_and_root(iam):
    ctx = _ctx(iam)
    iam.create_role(ctx, {"RoleName": "Admin", "Path": "/ops/", "AssumeRolePolicyDocument": TRUST,
                          "Tags": [{"Key": "team", "Value": "x"}]})
    iam.put_role_policy(ctx, {"RoleName": "Admin", "PolicyName": "r", "PolicyDocument": DOC})
    session = Principal(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s1", "assumed-role")
    view = iam.identity_policies(session)
    assert [p.name for p in view.identity] == ["inline:r"] and view.tags == {"team": "x"}
    iam.create_user(ctx, {"UserName": "bob"})
    iam.put_user_policy(ctx, {"UserName": "bob", "PolicyName": "b", "PolicyDocument": DOC})
    federated = Principal(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:federated-user/fed", "federated-user",
                          session=SessionData("federated-user", f"arn:aws:iam::{ACCOUNT}:user/bob"))
    assert [p.name for p in iam.identity_policies(federated).identity] == ["inline:b"]
    assert iam.identity_policies(Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")).identity == ()
    gone = Principal(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/Nope/s", "assumed-role")
    assert iam.identity_policies(gone).exists is False


def test_directory_lookups_and_ensure_role(iam):
    ctx = _ctx(iam)
    role = iam.ensure_role(ACCOUNT, "OrganizationAccountAccessRole", TRUST,
                           ["arn:aws:iam::aws:policy/AdministratorAccess"])
    assert role.role_id.startswith("AROA") and iam.ensure_role(ACCOUNT, "OrganizationAccountAccessRole", TRUST, []) \
        .role_id == role.role_id
    assert iam.role(ACCOUNT, "organizationaccountaccessrole").arn.endswith(":role/OrganizationAccountAccessRole")
    assert '"Action": "*"' in iam.managed_policy_document(ACCOUNT, "arn:aws:iam::aws:policy/AdministratorAccess")
    assert iam.managed_policy_document(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:policy/none") is None
    key = iam.create_access_key(ctx, {"UserName": iam.create_user(ctx, {"UserName": "k"})["User"]["UserName"]})
    key_id = key["AccessKey"]["AccessKeyId"]
    credential = iam.credential_for(key_id)
    assert credential.kind == "user" and credential.user_id.startswith("AIDA") and credential.active
    iam.update_access_key(ctx, {"UserName": "k", "AccessKeyId": key_id, "Status": "Inactive"})
    assert iam.runtime.credentials.get(key_id).active is False
    arn = iam.create_open_id_connect_provider(ctx, {"Url": "https://id.example.com",
                                                    "ThumbprintList": ["a" * 40]})["OpenIDConnectProviderArn"]
    assert iam.oidc_provider(ACCOUNT, arn).url == "id.example.com"
