"""The EBS direct APIs through boto3 (rest-json): StartSnapshot → PutSnapshotBlock → CompleteSnapshot
with checksums verified, reading snapshots back (ListSnapshotBlocks, GetSnapshotBlock), changed
blocks within a lineage, the errors and reasons of the model, timeouts on the virtual clock, IAM
enforcement on snapshot ARNs, and snapshots and their blocks surviving a restart."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.config import Config
from ebs_helpers import (
    BLOCK,
    Clients,
    account,
    block,
    checksum,
    direct_snapshot,
    linear,
    put,
    read_blocks,
    snapshot_state,
)
from s3_helpers import code_status, error_of

from pycloud.testing import PycloudServer

ACCOUNT = account("717171717171", "ebs-direct")
OTHER = account("727272727272", "ebs-direct-other")


@pytest.fixture(scope="module")
def me(pycloud) -> Clients:
    return Clients(pycloud, ACCOUNT)


def _reason(err) -> str:
    """The modeled Reason of an EBS error (botocore lifts modeled error members to the top level)."""
    return err.response.get("Reason") or err.response["Error"].get("Reason")


# -- the round trip -------------------------------------------------------------------------------------------------


def test_round_trip_through_a_volume(me):
    blocks = {0: block(b"first"), 3: block(b"third"), 100: block(200)}
    started = me.ebs.start_snapshot(VolumeSize=2, Description="direct", Tags=[{"Key": "src", "Value": "ebs"}])
    snapshot_id = started["SnapshotId"]
    assert (started["Status"], started["VolumeSize"], started["BlockSize"], started["OwnerId"]) == (
        "pending", 2, BLOCK, ACCOUNT["id"])
    assert started["SseType"] == "none" and started["Tags"] == [{"Key": "src", "Value": "ebs"}]
    # EC2 sees the pending snapshot
    pending = snapshot_state(me.ec2, snapshot_id)
    assert (pending["State"], pending["Description"], pending["VolumeSize"]) == ("pending", "direct", 2)
    for index, data in blocks.items():
        answer = put(me.ebs, snapshot_id, index, data, Progress=50)
        assert (answer["Checksum"], answer["ChecksumAlgorithm"]) == (checksum(data), "SHA256")
    assert snapshot_state(me.ec2, snapshot_id)["Progress"] == "50%"
    done = me.ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=3, Checksum=linear(blocks),
                                    ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    assert done["Status"] == "completed"
    assert snapshot_state(me.ec2, snapshot_id)["State"] == "completed"
    assert read_blocks(me.ebs, snapshot_id) == blocks

    restored = me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)["VolumeId"]
    again = me.ec2.create_snapshot(VolumeId=restored)["SnapshotId"]
    me.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[again], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    listing = me.ebs.list_snapshot_blocks(SnapshotId=again)
    assert (listing["VolumeSize"], listing["BlockSize"]) == (2, BLOCK) and listing["ExpiryTime"]
    assert [b["BlockIndex"] for b in listing["Blocks"]] == [0, 3, 100]
    assert read_blocks(me.ebs, again) == blocks


def test_start_snapshot_on_a_parent_and_changed_blocks(me):
    base = {0: block(1), 1: block(2), 2: block(3)}
    first = direct_snapshot(me.ebs, base)
    # an EC2 snapshot of a volume restored from it, then new data on top of that one
    volume_id = me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=first)["VolumeId"]
    ec2_first = me.ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    me.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[ec2_first], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    writes = {1: block(22), 7: block(77)}
    second = direct_snapshot(me.ebs, writes, ParentSnapshotId=ec2_first)
    assert read_blocks(me.ebs, second) == {**base, **writes}
    restored = me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=second)["VolumeId"]
    ec2_second = me.ec2.create_snapshot(VolumeId=restored)["SnapshotId"]
    me.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[ec2_second], WaiterConfig={"Delay": 1, "MaxAttempts": 5})

    changed = me.ebs.list_changed_blocks(FirstSnapshotId=ec2_first, SecondSnapshotId=ec2_second)
    assert [c["BlockIndex"] for c in changed["ChangedBlocks"]] == [1, 7]
    by_index = {c["BlockIndex"]: c for c in changed["ChangedBlocks"]}
    assert "FirstBlockToken" in by_index[1] and "FirstBlockToken" not in by_index[7]
    old = me.ebs.get_snapshot_block(SnapshotId=ec2_first, BlockIndex=1, BlockToken=by_index[1]["FirstBlockToken"])
    new = me.ebs.get_snapshot_block(SnapshotId=ec2_second, BlockIndex=1, BlockToken=by_index[1]["SecondBlockToken"])
    assert (old["BlockData"].read(), new["BlockData"].read()) == (base[1], writes[1])
    whole = me.ebs.list_changed_blocks(SecondSnapshotId=ec2_second)
    assert [c["BlockIndex"] for c in whole["ChangedBlocks"]] == [0, 1, 2, 7]
    assert [c["BlockIndex"] for c in me.ebs.list_changed_blocks(
        FirstSnapshotId=ec2_first, SecondSnapshotId=ec2_second, StartingBlockIndex=2)["ChangedBlocks"]] == [7]

    unrelated = direct_snapshot(me.ebs, {1: block(9)})
    err = error_of(me.ebs.list_changed_blocks, FirstSnapshotId=unrelated, SecondSnapshotId=ec2_second)
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "UNRELATED_SNAPSHOTS"


def test_list_snapshot_blocks_pages(me):
    snapshot_id = me.ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    data = block(5)
    for index in range(105):
        put(me.ebs, snapshot_id, index, data)
    me.ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=105)
    first = me.ebs.list_snapshot_blocks(SnapshotId=snapshot_id, MaxResults=100)
    assert len(first["Blocks"]) == 100 and first["NextToken"]
    rest = me.ebs.list_snapshot_blocks(SnapshotId=snapshot_id, MaxResults=100, NextToken=first["NextToken"])
    assert [b["BlockIndex"] for b in rest["Blocks"]] == [100, 101, 102, 103, 104] and not rest.get("NextToken")
    late = me.ebs.list_snapshot_blocks(SnapshotId=snapshot_id, StartingBlockIndex=103)
    assert [b["BlockIndex"] for b in late["Blocks"]] == [103, 104]
    err = error_of(me.ebs.list_snapshot_blocks, SnapshotId=snapshot_id, NextToken="bm90LWEtdG9rZW4=")
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "INVALID_PAGE_TOKEN"
    unchecked = me.server.client("ebs", access_key=ACCOUNT["access_key"], secret_key=ACCOUNT["secret_key"],
                                 config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    err = error_of(unchecked.list_snapshot_blocks, SnapshotId=snapshot_id, MaxResults=10)  # the model's minimum is 100
    assert code_status(err) == ("ValidationException", 400)


# -- refusals -------------------------------------------------------------------------------------------------------


def test_put_snapshot_block_refusals(me):
    snapshot_id = me.ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    data = block(1)

    def refused(**kwargs):
        params = {"SnapshotId": snapshot_id, "BlockIndex": 0, "BlockData": data, "DataLength": BLOCK,
                  "Checksum": checksum(data), "ChecksumAlgorithm": "SHA256", **kwargs}
        return error_of(me.ebs.put_snapshot_block, **params)

    err = refused(Checksum=checksum(block(2)))
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "INVALID_PARAMETER_VALUE"
    err = refused(BlockData=data[:4096], DataLength=4096, Checksum=checksum(data[:4096]))
    assert code_status(err) == ("ValidationException", 400)
    err = refused(BlockIndex=2048)  # 1 GiB holds blocks 0..2047
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "INVALID_BLOCK"
    err = refused(SnapshotId="snap-0123456789abcdef0")
    assert code_status(err) == ("ResourceNotFoundException", 404) and _reason(err) == "SNAPSHOT_NOT_FOUND"
    put(me.ebs, snapshot_id, 0, data)
    me.ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=1)
    err = refused()
    assert code_status(err) == ("ValidationException", 400)


def test_complete_snapshot_refusals(me):
    blocks = {0: block(1), 4: block(4)}
    snapshot_id = me.ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    for index, data in blocks.items():
        put(me.ebs, snapshot_id, index, data)
    put(me.ebs, snapshot_id, 4, blocks[4])  # a block written twice counts once
    err = error_of(me.ebs.complete_snapshot, SnapshotId=snapshot_id, ChangedBlocksCount=3)
    assert code_status(err) == ("ValidationException", 400)
    err = error_of(me.ebs.complete_snapshot, SnapshotId=snapshot_id, ChangedBlocksCount=2,
                   Checksum=linear({0: blocks[0]}), ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    assert code_status(err) == ("ValidationException", 400)
    err = error_of(me.ebs.complete_snapshot, SnapshotId=snapshot_id, ChangedBlocksCount=2, Checksum=linear(blocks))
    assert code_status(err) == ("ValidationException", 400)
    assert snapshot_state(me.ec2, snapshot_id)["State"] == "pending"
    me.ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=2, Checksum=linear(blocks),
                             ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    assert read_blocks(me.ebs, snapshot_id) == blocks
    err = error_of(me.ebs.complete_snapshot, SnapshotId="snap-0123456789abcdef0", ChangedBlocksCount=0)
    assert code_status(err) == ("ResourceNotFoundException", 404)


def test_start_snapshot_client_token_and_parent_rules(me, pycloud):
    token = uuid.uuid4().hex
    first = me.ebs.start_snapshot(VolumeSize=1, ClientToken=token)
    assert me.ebs.start_snapshot(VolumeSize=1, ClientToken=token)["SnapshotId"] == first["SnapshotId"]
    err = error_of(me.ebs.start_snapshot, VolumeSize=2, ClientToken=token)
    assert code_status(err) == ("ConflictException", 409)
    # the parent must be completed, of the same account, and no bigger than the new snapshot
    err = error_of(me.ebs.start_snapshot, VolumeSize=1, ParentSnapshotId=first["SnapshotId"])
    assert code_status(err) == ("ValidationException", 400)
    parent = direct_snapshot(me.ebs, {0: block(1)}, size_gib=4)
    err = error_of(me.ebs.start_snapshot, VolumeSize=2, ParentSnapshotId=parent)
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "INVALID_VOLUME_SIZE"
    other = Clients(pycloud, OTHER)
    err = error_of(other.ebs.start_snapshot, VolumeSize=4, ParentSnapshotId=parent)
    assert code_status(err) == ("ResourceNotFoundException", 404)
    err = error_of(me.ebs.start_snapshot, VolumeSize=70000)
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "INVALID_VOLUME_SIZE"
    key = f"arn:aws:kms:us-east-1:{ACCOUNT['id']}:key/0f0f0f0f-1111-2222-3333-444455556666"
    encrypted = me.ebs.start_snapshot(VolumeSize=1, Encrypted=True, KmsKeyArn=key)
    assert (encrypted["SseType"], encrypted["KmsKeyArn"]) == ("sse-kms", key)
    assert snapshot_state(me.ec2, encrypted["SnapshotId"])["Encrypted"] is True


def test_reads_need_a_completed_snapshot_and_a_valid_token(me):
    blocks = {2: block(2), 3: block(3)}
    snapshot_id = direct_snapshot(me.ebs, blocks)
    tokens = {b["BlockIndex"]: b["BlockToken"] for b in me.ebs.list_snapshot_blocks(SnapshotId=snapshot_id)["Blocks"]}
    err = error_of(me.ebs.get_snapshot_block, SnapshotId=snapshot_id, BlockIndex=2, BlockToken=tokens[3])
    assert code_status(err) == ("ValidationException", 400) and _reason(err) == "INVALID_BLOCK_TOKEN"
    err = error_of(me.ebs.get_snapshot_block, SnapshotId=snapshot_id, BlockIndex=2, BlockToken="AAAA")
    assert _reason(err) == "INVALID_BLOCK_TOKEN"
    pending = me.ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    assert code_status(error_of(me.ebs.list_snapshot_blocks, SnapshotId=pending)) == ("ValidationException", 400)
    err = error_of(me.ebs.list_snapshot_blocks, SnapshotId="snap-0123456789abcdef0")
    assert code_status(err) == ("ResourceNotFoundException", 404)


# -- IAM -------------------------------------------------------------------------------------------------------------


def test_iam_policies_apply_to_snapshot_arns(me, pycloud):
    allowed = direct_snapshot(me.ebs, {0: block(1)})
    denied = direct_snapshot(me.ebs, {0: block(2)})
    iam = pycloud.client("iam", access_key=ACCOUNT["access_key"], secret_key=ACCOUNT["secret_key"])
    name = f"reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ebs:ListSnapshotBlocks"],
         "Resource": f"arn:aws:ec2:us-east-1::snapshot/{allowed}"},
        {"Effect": "Allow", "Action": ["ec2:CreateVolume", "ec2:DescribeVolumes"], "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:DeleteVolume", "Resource": "arn:aws:ec2:us-east-1:*:volume/*"},
    ]}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    ebs = pycloud.client("ebs", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    ec2 = pycloud.client("ec2", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert [b["BlockIndex"] for b in ebs.list_snapshot_blocks(SnapshotId=allowed)["Blocks"]] == [0]
    assert code_status(error_of(ebs.list_snapshot_blocks, SnapshotId=denied)) == ("AccessDeniedException", 403)
    assert code_status(error_of(ebs.start_snapshot, VolumeSize=1)) == ("AccessDeniedException", 403)
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    assert code_status(error_of(ec2.delete_volume, VolumeId=volume_id)) == ("UnauthorizedOperation", 403)
    me.ec2.delete_volume(VolumeId=volume_id)


# -- the virtual clock and restarts ----------------------------------------------------------------------------------


def test_unfinished_snapshot_times_out():
    with PycloudServer() as server:
        me = Clients(server, ACCOUNT)
        snapshot_id = me.ebs.start_snapshot(VolumeSize=1, Timeout=10)["SnapshotId"]
        put(me.ebs, snapshot_id, 0, block(1))
        server.advance_clock(9 * 60)
        assert snapshot_state(me.ec2, snapshot_id)["State"] == "pending"
        server.advance_clock(2 * 60)
        assert snapshot_state(me.ec2, snapshot_id)["State"] == "error"
        err = error_of(put, me.ebs, snapshot_id, 1, block(1))
        assert code_status(err) == ("ValidationException", 400) and _reason(err) == "WRITE_REQUEST_TIMEOUT"
        assert code_status(error_of(me.ebs.complete_snapshot, SnapshotId=snapshot_id, ChangedBlocksCount=1)) == (
            "ValidationException", 400)
        me.ec2.delete_snapshot(SnapshotId=snapshot_id)


def test_snapshots_and_blocks_survive_a_restart(tmp_path):
    args = ["--data-dir", str(tmp_path / "data")]
    done_blocks = {0: block(b"kept"), 9: block(9)}
    with PycloudServer(args, ephemeral=False) as server:
        me = Clients(server, ACCOUNT)
        done = direct_snapshot(me.ebs, done_blocks, Description="before")
        volume_id = me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=done)["VolumeId"]
        open_one = me.ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
        put(me.ebs, open_one, 5, block(5))
    with PycloudServer(args, ephemeral=False) as server:
        me = Clients(server, ACCOUNT)
        assert snapshot_state(me.ec2, done)["Description"] == "before"
        assert read_blocks(me.ebs, done) == done_blocks
        # the pending snapshot still knows the block put before the restart
        put(me.ebs, open_one, 6, block(6))
        me.ebs.complete_snapshot(SnapshotId=open_one, ChangedBlocksCount=2,
                                 Checksum=linear({5: block(5), 6: block(6)}), ChecksumAlgorithm="SHA256",
                                 ChecksumAggregationMethod="LINEAR")
        assert read_blocks(me.ebs, open_one) == {5: block(5), 6: block(6)}
        # the restored volume still holds the snapshot's data
        again = me.ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
        me.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[again], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        assert read_blocks(me.ebs, again) == done_blocks
