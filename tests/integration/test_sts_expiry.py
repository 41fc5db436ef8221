"""Temporary credentials on the virtual clock (a private server: advancing it would expire other
modules' credentials) and across a restart of a persistent server."""

from __future__ import annotations

import pytest
from clock_helpers import server_now
from s3_helpers import code_status, error_of
from sts_helpers import client_of, id_token, make_role, make_user, session_client, trust, unsigned

from pycloud.testing.plugin import private_server_fixture
from pycloud.testing.server import PycloudServer

pycloud = private_server_fixture()


@pytest.fixture(scope="module")
def iam(pycloud):
    return pycloud.client("iam")


def test_role_session_expires_on_the_virtual_clock(pycloud, iam):
    user = make_user(iam)
    role = make_role(iam, trust({"AWS": user["arn"]}))
    out = client_of(pycloud, "sts", user).assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)
    session = session_client(pycloud, "sts", out["Credentials"])
    session.get_caller_identity()
    pycloud.advance_clock(800)
    session.get_caller_identity()  # still within its 900 seconds
    pycloud.advance_clock(200)
    err = error_of(session.get_caller_identity)
    assert code_status(err)[0] == "ExpiredToken"


def test_session_token_expires_and_a_wrong_token_is_refused(pycloud, iam):
    user = make_user(iam)
    creds = client_of(pycloud, "sts", user).get_session_token(DurationSeconds=900)["Credentials"]
    forged = {**creds, "SessionToken": creds["SessionToken"][:-8] + "AAAAAAAA"}
    assert code_status(error_of(session_client(pycloud, "sts", forged).get_caller_identity))[1] in (400, 403)
    pycloud.advance_clock(901)
    assert code_status(error_of(session_client(pycloud, "sts", creds).get_caller_identity))[0] == "ExpiredToken"


def test_web_identity_token_expiry_follows_the_virtual_clock(pycloud, iam):
    host = "oidc.expiry.example.test"
    arn = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["app"],
                                              ThumbprintList=["b" * 40])["OpenIDConnectProviderArn"]  # fmt: skip
    role = make_role(iam, trust({"Federated": arn}, "sts:AssumeRoleWithWebIdentity"))
    token = id_token(f"https://{host}", "app", "user-1", now=server_now(pycloud), lifetime=600)
    sts = unsigned(pycloud)
    sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=token)
    pycloud.advance_clock(601)
    err = error_of(sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=token)
    assert code_status(err) == ("ExpiredTokenException", 400)


def test_sessions_survive_a_restart(tmp_path):
    args = ["--data-dir", str(tmp_path / "data")]
    with PycloudServer(args, ephemeral=False) as server:
        iam = server.client("iam")
        user = make_user(iam)
        role = make_role(iam, trust({"AWS": user["arn"]}))
        out = client_of(server, "sts", user).assume_role(RoleArn=role["Arn"], RoleSessionName="durable")
        federated = server.client("sts").get_federation_token(Name="fed-durable")
    with PycloudServer(args, ephemeral=False) as server:
        me = session_client(server, "sts", out["Credentials"]).get_caller_identity()
        assert me["Arn"] == out["AssumedRoleUser"]["Arn"]
        assert me["UserId"] == f"{role['RoleId']}:durable"
        fed = session_client(server, "sts", federated["Credentials"]).get_caller_identity()
        assert fed["Arn"] == federated["FederatedUser"]["Arn"]
        server.advance_clock(3601)
        err = error_of(session_client(server, "sts", out["Credentials"]).get_caller_identity)
        assert code_status(err)[0] == "ExpiredToken"
