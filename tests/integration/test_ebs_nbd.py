"""EBS volumes over NBD (pycloud/ebs/nbd.py): the server behind ``pycloud serve --nbd-port``, checked
with libnbd's real clients (nbdinfo, nbdcopy; skipped when not installed) and, always, with raw
protocol exchanges and the pure-Python client: handshake and options, transmission commands and
errors, pipelining, throttling (the gp2 burst-then-baseline curve).

Volumes come from two places, run as two parameters of the ``target`` fixture: a ``pycloud serve``
subprocess (volumes from EC2 CreateVolume) and an EbsRuntime served over NBD in this process (volumes
created in its BlockStore: the protocol tests run even where the EC2 API is unavailable).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import shutil
import socket
import struct
import subprocess
import time
import urllib.error
from typing import Any

import pytest
from botocore.exceptions import ClientError
from ebs_nbd_helpers import (
    GiB,
    closed_by_peer,
    go,
    info_request,
    nbd_runtime,
    option_reply,
    raw_connect,
    recv_exact,
    replies_until_ack,
    request,
    send_option,
    simple_reply,
)

from pycloud._core import BLOCK_SIZE
from pycloud.ebs import nbd_proto as P
from pycloud.ebs import open_volume
from pycloud.ebs.nbd_client import NbdClient, list_exports
from pycloud.ebs.runtime import VolumeConfig
from pycloud.testing import PycloudServer

TIME_SCALE = 2000
"""gp2 1 GiB: 5.4 M credits drain at (3,000 - 100) x 2,000 per second, in under a second."""
ZONE = "us-east-1a"
MiB = 1 << 20

needs_libnbd = pytest.mark.skipif(
    not (shutil.which("nbdinfo") and shutil.which("nbdcopy")),
    reason="libnbd's nbdinfo/nbdcopy are not on PATH (apt-get install libnbd-bin); "
    "the raw-protocol and Python-client tests in this module cover the server without them",
)


# -- targets ----------------------------------------------------------------------------------------


class InProcessTarget:
    """An EbsRuntime of this process served over NBD; volumes go straight into its BlockStore."""

    name = "in-process"

    def __init__(self, runtime: Any, port: int) -> None:
        self.runtime = runtime
        self.port = port

    def create_volume(self, size_gib: int, volume_type: str = "gp2", iops: int | None = None,
                      throughput: int | None = None) -> str:
        volume_id = "vol-" + secrets.token_hex(8) + "a"
        self.runtime.store.create_volume(volume_id, size_gib * GiB)
        self.runtime.configure(volume_id, VolumeConfig(volume_type, size_gib, iops, throughput))
        return volume_id

    def write_through_api(self, volume_id: str, blocks: dict[int, bytes]) -> str:
        """Data put by the data plane's API side (the BlockStore) into a new volume; its id."""
        for index, data in blocks.items():
            self.runtime.store.write(volume_id, index * BLOCK_SIZE, data)
        return volume_id


class ServedTarget:
    """A ``pycloud serve --nbd-port 0`` subprocess; volumes from EC2 CreateVolume."""

    name = "served"

    def __init__(self, server: PycloudServer) -> None:
        self.server = server
        self.port = server.admin("GET", "/_pycloud/ebs/nbd")["port"]
        self.ec2 = server.client("ec2")

    def _call(self, client: Any, operation: str, **params: Any) -> Any:
        try:
            return getattr(client, operation)(**params)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NotImplemented":
                pytest.skip(f"{operation} is not implemented by this pycloud yet")
            raise

    def create_volume(self, size_gib: int, volume_type: str = "gp2", iops: int | None = None,
                      throughput: int | None = None, snapshot_id: str | None = None) -> str:
        params: dict[str, Any] = {"AvailabilityZone": ZONE, "Size": size_gib, "VolumeType": volume_type}
        params.update({k: v for k, v in (("Iops", iops), ("Throughput", throughput), ("SnapshotId", snapshot_id)) if v})
        return self._call(self.ec2, "create_volume", **params)["VolumeId"]

    def wait_completed(self, snapshot_id: str) -> None:
        """Advance the virtual clock until the snapshot's simulated upload is over."""
        for _ in range(100):
            if self.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["State"] == "completed":
                return
            self.server.advance_clock(60)
        raise AssertionError(f"{snapshot_id} never completed")

    def write_through_api(self, volume_id: str, blocks: dict[int, bytes]) -> str:
        """EBS direct PutSnapshotBlock into a new snapshot, then CreateVolume from it; the new volume."""
        ebs = self.server.client("ebs")
        size = self.ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["Size"]
        snapshot = self._call(ebs, "start_snapshot", VolumeSize=size)["SnapshotId"]
        for index, data in blocks.items():
            block = data.ljust(BLOCK_SIZE, b"\0")
            checksum = base64.b64encode(hashlib.sha256(block).digest()).decode()
            ebs.put_snapshot_block(SnapshotId=snapshot, BlockIndex=index, BlockData=block, DataLength=BLOCK_SIZE,
                                   Checksum=checksum, ChecksumAlgorithm="SHA256")
        ebs.complete_snapshot(SnapshotId=snapshot, ChangedBlocksCount=len(blocks))
        self.wait_completed(snapshot)
        return self.create_volume(size, "gp3", 3000, 750, snapshot_id=snapshot)


@pytest.fixture(scope="module")
def served():
    with PycloudServer(["--nbd-port", "0", "--ebs-time-scale", str(TIME_SCALE)]) as server:
        yield server


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    with nbd_runtime(tmp_path_factory.mktemp("ebs"), TIME_SCALE) as (runtime, port):
        yield InProcessTarget(runtime, port)


@pytest.fixture(params=["in-process", "served"])
def target(request):
    return request.getfixturevalue("in_process") if request.param == "in-process" else ServedTarget(
        request.getfixturevalue("served"))


@pytest.fixture
def volume(in_process):
    """A fresh, unthrottled 64 MiB volume of the in-process runtime: (runtime, port, volume id)."""
    volume_id = "vol-" + secrets.token_hex(8) + "b"
    in_process.runtime.store.create_volume(volume_id, 64 * MiB)
    return in_process.runtime, in_process.port, volume_id


def connect_go(port: int, name: str) -> socket.socket:
    sock = raw_connect(port)
    go(sock, name)
    return sock


# -- the server behind `pycloud serve` ----------------------------------------------------------


def test_startup_line_and_admin_api_give_the_nbd_port(served):
    info = served.admin("GET", "/_pycloud/ebs/nbd")
    assert info["enabled"] is True and info["host"] == "127.0.0.1" and info["port"] > 0
    assert f"NBD on nbd://127.0.0.1:{info['port']}" in "".join(served.output)
    assert isinstance(list_exports("127.0.0.1", info["port"]), list)  # an NBD server answers there


def test_nbd_is_off_unless_asked_for(pycloud):
    assert pycloud.admin("GET", "/_pycloud/ebs/nbd") == {"enabled": False, "host": "127.0.0.1", "port": None}
    assert "NBD" not in "".join(pycloud.output)
    with pytest.raises(ConnectionRefusedError, match="--nbd-port"):
        open_volume(pycloud, "vol-0123456789abcdef0")


def test_nbd_port_taken_fails_startup_with_a_message():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"NBD port {port} on 127.0.0.1 is already in use"):
            PycloudServer(["--nbd-port", str(port)]).start()


def test_served_volume_through_open_volume(served):
    target = ServedTarget(served)
    volume_id = target.create_volume(1, "gp3")
    with open_volume(served, volume_id) as vol:  # the NBD port found through the admin API
        assert vol.size == GiB
        vol.pwrite(GiB - 6, b"at end")
        assert vol.pread(GiB - 6, 6) == b"at end"
    assert volume_id in list_exports("127.0.0.1", target.port)


def test_shutdown_ends_open_nbd_connections():
    server = PycloudServer(["--nbd-port", "0"]).start()
    try:
        target = ServedTarget(server)
        volume_id = target.create_volume(1, "gp3")
        client = NbdClient("127.0.0.1", target.port, volume_id)
        client.write(0, b"before shutdown")
        start = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - start < 5
        with pytest.raises(OSError):  # NbdError or a reset: the server hung up
            client.read(0, 15)
        client.close()
    finally:
        server.stop()


def test_snapshot_restore_reads_back_through_nbd(served):
    """Blocks written over NBD, snapshotted and restored by the EC2 API, read over NBD again."""
    target = ServedTarget(served)
    source = target.create_volume(1, "gp3")
    with open_volume(target.port, source) as vol:
        vol.pwrite(3 * BLOCK_SIZE + 100, b"kept in the snapshot")
    snapshot = target._call(target.ec2, "create_snapshot", VolumeId=source)["SnapshotId"]
    target.wait_completed(snapshot)
    restored = target.create_volume(1, "gp3", snapshot_id=snapshot)
    with open_volume(target.port, restored) as vol:
        assert vol.pread(3 * BLOCK_SIZE + 100, 20) == b"kept in the snapshot"


def test_admin_api_shows_hydration_progress_and_io_metrics(served):
    """A volume restored from a snapshot hydrates as its blocks are first read; the admin API shows
    the progress and the I/O counted by the volume's scheduler."""
    target = ServedTarget(served)
    source = target.create_volume(1, "gp3")
    with open_volume(target.port, source) as vol:
        for index in range(4):
            vol.pwrite(index * BLOCK_SIZE, b"block %d" % index)
    snapshot = target._call(target.ec2, "create_snapshot", VolumeId=source)["SnapshotId"]
    target.wait_completed(snapshot)
    restored = target.create_volume(1, "gp3", snapshot_id=snapshot)
    before = served.admin("GET", f"/_pycloud/ebs/volumes/{restored}")
    assert before["store"]["blocks_to_hydrate"] == 4 and before["store"]["hydrated_blocks"] == 0
    with open_volume(target.port, restored) as vol:
        assert vol.pread(BLOCK_SIZE, 7) == b"block 1"
        assert vol.pread(3 * BLOCK_SIZE, 7) == b"block 3"
    after = served.admin("GET", f"/_pycloud/ebs/volumes/{restored}")
    assert after["store"]["hydrated_blocks"] == 2 and after["store"]["first_touches"] == 2
    assert after["metrics"]["read_requests"] == 2 and after["metrics"]["read_bytes"] == 14
    with pytest.raises(urllib.error.HTTPError) as info:
        served.admin("GET", "/_pycloud/ebs/volumes/vol-00000000000000000")
    assert info.value.code == 404


# -- real clients (libnbd) ----------------------------------------------------------------------


@needs_libnbd
def test_nbdinfo_lists_the_export_and_its_size(target):
    volume_id = target.create_volume(2, "gp3")
    uri = f"nbd://127.0.0.1:{target.port}"
    listed = json.loads(subprocess.run(["nbdinfo", "--list", "--json", uri], capture_output=True, text=True,
                                       check=True, timeout=30).stdout)
    exports = {entry["export-name"]: entry for entry in listed["exports"]}
    assert exports[volume_id]["export-size"] == 2 * GiB
    assert exports[volume_id]["block_size_preferred"] == 4096
    assert exports[volume_id]["block_size_maximum"] == 32 * MiB
    assert listed["structured"] is False  # structured replies refused: simple replies
    size = subprocess.run(["nbdinfo", "--size", f"{uri}/{volume_id}"], capture_output=True, text=True, check=True,
                          timeout=30)
    assert int(size.stdout) == 2 * GiB
    missing = subprocess.run(["nbdinfo", f"{uri}/vol-00000000000000000"], capture_output=True, text=True, timeout=30)
    assert missing.returncode != 0


@needs_libnbd
def test_nbdcopy_writes_a_file_and_reads_it_back(target, tmp_path):
    volume_id = target.create_volume(1, "gp3", iops=3000, throughput=750)  # 1 GiB back in about 1.5 s
    payload = random.Random(5).randbytes(3 * MiB + 4096)
    source = tmp_path / "in.img"
    source.write_bytes(payload)
    uri = f"nbd://127.0.0.1:{target.port}/{volume_id}"
    subprocess.run(["nbdcopy", str(source), uri], check=True, capture_output=True, timeout=60)
    with open_volume(target.port, volume_id) as vol:  # as the Python client sees it
        assert vol.pread(0, len(payload)) == payload
    copy = tmp_path / "out.img"
    subprocess.run(["nbdcopy", uri, str(copy)], check=True, capture_output=True, timeout=60)
    with copy.open("rb") as fh:
        assert fh.read(len(payload)) == payload
        assert fh.read(MiB) == bytes(MiB)  # the rest of the volume is unwritten
    assert copy.stat().st_size == GiB


@needs_libnbd
def test_data_written_through_the_api_side_reads_back_through_nbdcopy(target, tmp_path):
    base = target.create_volume(1, "gp3", iops=3000, throughput=750)
    blocks = {0: b"block zero" * 100, 7: random.Random(8).randbytes(BLOCK_SIZE)}
    volume_id = target.write_through_api(base, blocks)
    copy = tmp_path / "out.img"
    subprocess.run(["nbdcopy", f"nbd://127.0.0.1:{target.port}/{volume_id}", str(copy)], check=True,
                   capture_output=True, timeout=60)
    with copy.open("rb") as fh:
        for index, data in blocks.items():
            fh.seek(index * BLOCK_SIZE)
            assert fh.read(len(data)) == data


# -- throttling ------------------------------------------------------------------------------------


def _iops(client: NbdClient, rnd: random.Random, seconds: float) -> float:
    """Random 4 KiB reads for ``seconds``; their rate."""
    count = 0
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        client.read(rnd.randrange(client.size // 4096) * 4096, 4096)
        count += 1
    return count / elapsed


def test_gp2_bursts_then_falls_to_its_baseline(target):
    """gp2 1 GiB: 3,000 IOPS while its I/O credits last, then its 100 IOPS baseline."""
    volume_id = target.create_volume(1, "gp2")
    rnd = random.Random(11)
    with NbdClient("127.0.0.1", target.port, volume_id) as client:
        burst = _iops(client, rnd, 0.3)
        deadline = time.monotonic() + 6
        while _iops(client, rnd, 0.1) > 500:  # spend the credits (< 1 s at TIME_SCALE)
            assert time.monotonic() < deadline, "the burst never ended"
        baseline = _iops(client, rnd, 1.0)
    assert 1500 < burst < 3300, burst
    assert 70 < baseline < 130, baseline
    assert burst / baseline > 12


def test_reads_of_a_throttled_volume_do_not_hold_up_others(in_process):
    """A connection waiting on a slow volume's scheduler leaves other connections alone."""
    slow = in_process.create_volume(10, "io1", iops=100)
    fast = in_process.create_volume(1, "gp3")
    with NbdClient("127.0.0.1", in_process.port, slow) as slow_client, \
            NbdClient("127.0.0.1", in_process.port, fast) as fast_client:
        for n in range(30):  # 30 pipelined reads: 0.29 s of waiting on the slow volume
            slow_client.submit(P.CMD_READ, n * 50 * MiB, 4096)
        start = time.monotonic()
        for n in range(20):
            fast_client.read(n * 4096, 4096)
        fast_took = time.monotonic() - start
        for _ in range(30):
            assert slow_client.receive()[1] == 0
        slow_took = time.monotonic() - start
    assert fast_took < 0.1 < 0.25 < slow_took, (fast_took, slow_took)


# -- handshake and options (raw protocol) ------------------------------------------------------------


def test_go_describes_the_export_and_its_block_sizes(volume):
    _, port, volume_id = volume
    with raw_connect(port) as sock:
        send_option(sock, P.OPT_GO, info_request(volume_id, P.INFO_NAME, P.INFO_DESCRIPTION, P.INFO_BLOCK_SIZE))
        replies = replies_until_ack(sock, P.OPT_GO)
        infos = {struct.unpack(">H", data[:2])[0]: data for kind, data in replies if kind == P.REP_INFO}
        assert replies[-1] == (P.REP_ACK, b"")
        _, size, flags = P.EXPORT_INFO.unpack(infos[P.INFO_EXPORT])
        assert size == 64 * MiB
        wanted = (P.TFLAG_HAS_FLAGS | P.TFLAG_SEND_FLUSH | P.TFLAG_SEND_FUA | P.TFLAG_SEND_TRIM
                  | P.TFLAG_SEND_WRITE_ZEROES)
        assert flags & wanted == wanted and not flags & P.TFLAG_READ_ONLY
        assert P.BLOCK_SIZE_INFO.unpack(infos[P.INFO_BLOCK_SIZE])[1:] == (1, 4096, 32 * MiB)
        assert infos[P.INFO_NAME][2:] == volume_id.encode()
        assert volume_id in infos[P.INFO_DESCRIPTION][2:].decode()
        request(sock, P.CMD_READ, 1, 0, 8)  # in transmission now
        assert simple_reply(sock, 8) == (1, 0, bytes(8))


def test_info_then_go_on_one_connection(volume):
    runtime, port, volume_id = volume
    runtime.store.write(volume_id, 0, b"info first")
    with raw_connect(port) as sock:
        send_option(sock, P.OPT_INFO, info_request(volume_id))
        replies = replies_until_ack(sock, P.OPT_INFO)
        assert replies[-1][0] == P.REP_ACK and replies[0][0] == P.REP_INFO
        assert go(sock, volume_id)[0] == 64 * MiB  # INFO did not end the option phase
        request(sock, P.CMD_READ, 9, 0, 10)
        assert simple_reply(sock, 10) == (9, 0, b"info first")


def test_list_names_every_volume(volume, in_process):
    _, port, volume_id = volume
    with raw_connect(port) as sock:
        send_option(sock, P.OPT_LIST)
        names = []
        while (reply := option_reply(sock, P.OPT_LIST))[0] == P.REP_SERVER:
            (length,) = struct.unpack(">I", reply[1][:4])
            names.append(reply[1][4:4 + length].decode())
        assert reply == (P.REP_ACK, b"")
        assert volume_id in names and sorted(names) == sorted(in_process.runtime.store.list_volumes())
        send_option(sock, P.OPT_LIST, b"junk")
        assert option_reply(sock, P.OPT_LIST)[0] == P.REP_ERR_INVALID


def test_refused_options_leave_the_connection_usable(volume):
    _, port, volume_id = volume
    with raw_connect(port) as sock:
        for option in (P.OPT_STRUCTURED_REPLY, P.OPT_STARTTLS, P.OPT_EXTENDED_HEADERS, P.OPT_SET_META_CONTEXT, 4242):
            send_option(sock, option)
            kind, message = option_reply(sock, option)
            assert kind == P.REP_ERR_UNSUP and message, option
        send_option(sock, P.OPT_GO, info_request("vol-nosuchvolume0"))
        kind, message = option_reply(sock, P.OPT_GO)
        assert kind == P.REP_ERR_UNKNOWN and b"vol-nosuchvolume0" in message
        send_option(sock, P.OPT_GO, info_request(""))  # no default export
        assert option_reply(sock, P.OPT_GO)[0] == P.REP_ERR_UNKNOWN
        for bad in (b"\x00\x00", struct.pack(">I", 50) + b"vol", info_request(volume_id) + b"\x00"):
            send_option(sock, P.OPT_GO, bad)
            assert option_reply(sock, P.OPT_GO)[0] == P.REP_ERR_INVALID
        send_option(sock, P.OPT_INFO, b"\x00" * 100_000)  # too big to read, skipped
        assert option_reply(sock, P.OPT_INFO)[0] == P.REP_ERR_TOO_BIG
        go(sock, volume_id)
        request(sock, P.CMD_READ, 3, 0, 4)  # simple replies, although structured ones were asked for
        assert simple_reply(sock, 4) == (3, 0, bytes(4))


@pytest.mark.parametrize("no_zeroes", [True, False])
def test_export_name_option(volume, no_zeroes):
    _, port, volume_id = volume
    flags = P.HANDSHAKE_FLAGS if no_zeroes else P.FLAG_FIXED_NEWSTYLE
    with raw_connect(port, flags) as sock:
        send_option(sock, P.OPT_EXPORT_NAME, volume_id.encode())
        size, transmission = struct.unpack(">QH", recv_exact(sock, 10))
        assert size == 64 * MiB and transmission & P.TFLAG_SEND_FLUSH
        if not no_zeroes:
            assert recv_exact(sock, 124) == bytes(124)
        request(sock, P.CMD_WRITE, 5, 0, 3, b"abc")
        assert simple_reply(sock) == (5, 0, b"")


def test_connections_the_server_ends(volume):
    _, port, _ = volume
    with raw_connect(port) as sock:  # an unknown export: EXPORT_NAME has no error reply
        send_option(sock, P.OPT_EXPORT_NAME, b"vol-nosuchvolume0")
        assert closed_by_peer(sock)
    with raw_connect(port) as sock:
        send_option(sock, P.OPT_ABORT)
        assert option_reply(sock, P.OPT_ABORT) == (P.REP_ACK, b"")
        assert closed_by_peer(sock)
    with raw_connect(port, P.HANDSHAKE_FLAGS | 0x80) as sock:  # client flags the server did not offer
        assert closed_by_peer(sock)
    with raw_connect(port, 0) as sock:  # plain newstyle: only EXPORT_NAME
        send_option(sock, P.OPT_LIST)
        assert closed_by_peer(sock)
    with raw_connect(port) as sock:
        sock.sendall(struct.pack(">QII", 0x1234, P.OPT_LIST, 0))  # not IHAVEOPT
        assert closed_by_peer(sock)


# -- transmission ------------------------------------------------------------------------------------


def test_commands_and_their_errors(volume):
    runtime, port, volume_id = volume
    end = 64 * MiB
    with connect_go(port, volume_id) as sock:
        request(sock, P.CMD_WRITE, 1, end - 4, 4, b"tail", flags=P.CMD_FLAG_FUA)
        assert simple_reply(sock) == (1, 0, b"")
        request(sock, P.CMD_READ, 2, end - 4, 4)
        assert simple_reply(sock, 4) == (2, 0, b"tail")
        request(sock, P.CMD_WRITE, 3, end - 2, 4, b"over")
        assert simple_reply(sock) == (3, P.NBD_ENOSPC, b"")
        request(sock, P.CMD_WRITE_ZEROES, 4, end - 2, 4)
        assert simple_reply(sock) == (4, P.NBD_ENOSPC, b"")
        request(sock, P.CMD_READ, 5, end - 2, 4)
        assert simple_reply(sock, 4) == (5, P.NBD_EINVAL, b"")
        request(sock, P.CMD_TRIM, 6, end, 1)
        assert simple_reply(sock) == (6, P.NBD_EINVAL, b"")
        request(sock, P.CMD_READ, 7, 0, 32 * MiB + 1)  # over the advertised maximum
        assert simple_reply(sock) == (7, P.NBD_EINVAL, b"")
        request(sock, P.CMD_WRITE, 8, 0, 32 * MiB + 1, bytes(32 * MiB + 1))  # payload skipped, stream in step
        assert simple_reply(sock) == (8, P.NBD_EINVAL, b"")
        request(sock, 99, 9)  # an unknown command
        assert simple_reply(sock) == (9, P.NBD_EINVAL, b"")
        request(sock, P.CMD_WRITE, 10, 0, 2, b"no", flags=1 << 9)  # an unknown flag
        assert simple_reply(sock) == (10, P.NBD_EINVAL, b"")
        request(sock, P.CMD_FLUSH, 11)
        assert simple_reply(sock) == (11, 0, b"")
        request(sock, P.CMD_TRIM, 12, end - 4, 4)
        assert simple_reply(sock) == (12, 0, b"")
        request(sock, P.CMD_READ, 13, end - 4, 4)
        assert simple_reply(sock, 4) == (13, 0, bytes(4))
        request(sock, P.CMD_WRITE, 14, 0, 3 * BLOCK_SIZE, b"\xff" * (3 * BLOCK_SIZE))
        assert simple_reply(sock) == (14, 0, b"")
        request(sock, P.CMD_WRITE_ZEROES, 15, 10, BLOCK_SIZE, flags=P.CMD_FLAG_NO_HOLE)
        assert simple_reply(sock) == (15, 0, b"")
        assert runtime.store.read(volume_id, 8, BLOCK_SIZE + 4) == b"\xff\xff" + bytes(BLOCK_SIZE) + b"\xff\xff"
        request(sock, P.CMD_DISC, 16)
        assert closed_by_peer(sock)  # no reply to DISC: the server hangs up


def test_pipelined_requests_are_answered_in_order(volume):
    runtime, port, volume_id = volume
    expected = []
    with connect_go(port, volume_id) as sock:
        batch = b""
        for n in range(40):  # all sent before any reply is read
            data = f"record-{n:03}".encode()
            batch += P.REQUEST.pack(P.REQUEST_MAGIC, 0, P.CMD_WRITE, 2 * n, n * 4096, len(data)) + data
            batch += P.REQUEST.pack(P.REQUEST_MAGIC, 0, P.CMD_READ, 2 * n + 1, n * 4096, len(data))
            expected += [(2 * n, 0, b""), (2 * n + 1, 0, data)]
        sock.sendall(batch)
        got = [simple_reply(sock, 0 if cookie % 2 == 0 else len(data)) for cookie, _, data in expected]
    assert got == expected


def test_a_deleted_volume_answers_eio(volume):
    runtime, port, volume_id = volume
    with connect_go(port, volume_id) as sock:
        runtime.store.delete_volume(volume_id)
        request(sock, P.CMD_READ, 1, 0, 4)
        assert simple_reply(sock) == (1, P.NBD_EIO, b"")


def test_first_touch_penalty_delays_the_reply(in_process):
    store = in_process.runtime.store
    source = in_process.create_volume(1, "gp3")
    store.write(source, 0, b"x" * (4 * BLOCK_SIZE))
    snapshot = "snap-" + secrets.token_hex(8) + "c"
    store.create_snapshot(source, snapshot)
    restored = "vol-" + secrets.token_hex(8) + "d"
    store.create_volume(restored, GiB, snapshot)
    store.set_first_touch_penalty(restored, 50_000)
    with NbdClient("127.0.0.1", in_process.port, restored) as client:
        start = time.monotonic()
        assert client.read(0, 4 * BLOCK_SIZE) == b"x" * (4 * BLOCK_SIZE)  # four first touches: 0.2 s
        first = time.monotonic() - start
        start = time.monotonic()
        client.read(0, 4 * BLOCK_SIZE)
        again = time.monotonic() - start
    assert first >= 0.2 and again < 0.1, (first, again)
