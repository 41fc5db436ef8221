"""State survives restarts (and only when persistent); graceful shutdown on SIGTERM."""

from __future__ import annotations

from pycloud.testing import PycloudServer

ACCOUNT = {"id": "444444444444", "access_key": "AKIAKEEP", "secret_key": "keep-secret", "name": "keep"}


def test_declared_accounts_survive_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    with PycloudServer(["--data-dir", data_dir, "--strict"], ephemeral=False) as server:
        assert server.admin("GET", "/_pycloud/health")["persistent"] is True
        server.admin("POST", "/_pycloud/accounts", ACCOUNT)
    with PycloudServer(["--data-dir", data_dir, "--strict"], ephemeral=False) as server:
        sts = server.client("sts", access_key="AKIAKEEP", secret_key="keep-secret")
        assert sts.get_caller_identity()["Account"] == "444444444444"


def test_declared_accounts_survive_sigkill(tmp_path):
    data_dir = str(tmp_path / "data")
    server = PycloudServer(["--data-dir", data_dir, "--strict"], ephemeral=False).start()
    try:
        server.admin("POST", "/_pycloud/accounts", ACCOUNT)  # acknowledged...
    finally:
        server.kill()  # ...then the process dies without a chance to flush anything
    with PycloudServer(["--data-dir", data_dir, "--strict"], ephemeral=False) as server:
        sts = server.client("sts", access_key="AKIAKEEP", secret_key="keep-secret")
        assert sts.get_caller_identity()["Account"] == "444444444444"


def test_ephemeral_forgets(tmp_path):
    with PycloudServer(["--strict"]) as server:
        server.admin("POST", "/_pycloud/accounts", ACCOUNT)
    with PycloudServer(["--strict"]) as server:
        accounts = {a["id"] for a in server.admin("GET", "/_pycloud/accounts")["accounts"]}
        assert "444444444444" not in accounts


def test_sigterm_is_a_clean_exit():
    server = PycloudServer().start()
    server.client("sts").get_caller_identity()
    assert server.stop() == 0


def test_default_data_dir_is_dot_pycloud_in_the_working_directory(tmp_path):
    with PycloudServer(ephemeral=False, cwd=str(tmp_path)) as server:
        assert server.admin("GET", "/_pycloud/health")["persistent"] is True
        server.admin("POST", "/_pycloud/accounts", ACCOUNT)
    assert (tmp_path / ".pycloud" / "state.db").is_file()
