"""EC2 snapshots through boto3: CreateSnapshot(s), DescribeSnapshots (owners, restorable-by, ids,
filters, pages), sharing through createVolumePermission, volumes restored from snapshots (their data
read back), CopySnapshot and DeleteSnapshot on the virtual clock, and fast snapshot restore's states
and volume creation credits.

Snapshot data is written through the EBS direct APIs (``ebs_helpers.direct_snapshot``) and read back
through ListSnapshotBlocks/GetSnapshotBlock of a snapshot of the restored volume."""

from __future__ import annotations

import uuid

import pytest
from ebs_helpers import Clients, account, block, direct_snapshot, read_blocks, snapshot_state, volume
from s3_helpers import code_status, error_of

from pycloud.testing import PycloudServer

OWNER = account("616161616161", "ebs-snap-owner")
OTHER = account("626262626262", "ebs-snap-other")


@pytest.fixture(scope="module")
def owner(pycloud) -> Clients:
    return Clients(pycloud, OWNER)


@pytest.fixture(scope="module")
def other(pycloud) -> Clients:
    return Clients(pycloud, OTHER)


def _volume(ec2, size: int = 1, **kwargs) -> str:
    return ec2.create_volume(AvailabilityZone="us-east-1a", Size=size, **kwargs)["VolumeId"]


# -- CreateSnapshot(s) ----------------------------------------------------------------------------------------


def test_create_snapshot_of_a_volume(owner):
    volume_id = _volume(owner.ec2, 4)
    created = owner.ec2.create_snapshot(
        VolumeId=volume_id, Description="nightly",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    assert created["State"] == "pending" and created["SnapshotId"].startswith("snap-")
    assert (created["VolumeId"], created["VolumeSize"], created["OwnerId"]) == (volume_id, 4, OWNER["id"])
    owner.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[created["SnapshotId"]],
                                                    WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    found = snapshot_state(owner.ec2, created["SnapshotId"])
    assert (found["State"], found["Progress"], found["Description"]) == ("completed", "100%", "nightly")
    assert found["Tags"] == [{"Key": "k", "Value": "v"}] and found["StorageTier"] == "standard"


def test_create_snapshot_refusals(owner):
    assert code_status(error_of(owner.ec2.create_snapshot, VolumeId="vol-0123456789abcdef0")) == (
        "InvalidVolume.NotFound", 400)
    volume_id = _volume(owner.ec2)
    assert code_status(error_of(owner.ec2.create_snapshot, VolumeId=volume_id, DryRun=True)) == (
        "DryRunOperation", 412)
    err = error_of(owner.ec2.create_snapshot, VolumeId=volume_id,
                   TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert code_status(err) == ("InvalidParameterValue", 400)


def test_create_snapshots_of_an_unknown_instance(owner):
    err = error_of(owner.ec2.create_snapshots, InstanceSpecification={"InstanceId": "i-0123456789abcdef0"})
    assert code_status(err) == ("InvalidInstanceID.NotFound", 400)
    assert "i-0123456789abcdef0" in err.response["Error"]["Message"]
    err = error_of(owner.ec2.create_snapshots, InstanceSpecification={"InstanceId": "instance-1"})
    assert code_status(err) == ("InvalidInstanceID.Malformed", 400)


# -- DescribeSnapshots ------------------------------------------------------------------------------------------


def test_describe_snapshots_ids_owners_filters_pages(owner):
    label = uuid.uuid4().hex
    volume_id = _volume(owner.ec2)
    tags = [{"ResourceType": "snapshot", "Tags": [{"Key": "batch", "Value": label}]}]
    made = [owner.ec2.create_snapshot(VolumeId=volume_id, Description=f"n{i}", TagSpecifications=tags)["SnapshotId"]
            for i in range(6)]
    flt = [{"Name": "tag:batch", "Values": [label]}]
    assert sorted(s["SnapshotId"] for s in owner.ec2.describe_snapshots(Filters=flt)["Snapshots"]) == sorted(made)
    mine = owner.ec2.describe_snapshots(OwnerIds=["self"], Filters=flt)["Snapshots"]
    assert len(mine) == 6
    assert len(owner.ec2.describe_snapshots(OwnerIds=[OWNER["id"]], Filters=flt)["Snapshots"]) == 6
    assert owner.ec2.describe_snapshots(OwnerIds=["amazon"], Filters=flt)["Snapshots"] == []
    assert [s["SnapshotId"] for s in owner.ec2.describe_snapshots(
        Filters=[*flt, {"Name": "description", "Values": ["n3"]}])["Snapshots"]] == [made[3]]
    assert len(owner.ec2.describe_snapshots(
        Filters=[*flt, {"Name": "volume-id", "Values": [volume_id]}, {"Name": "volume-size", "Values": ["1"]}]
    )["Snapshots"]) == 6
    first = owner.ec2.describe_snapshots(Filters=flt, MaxResults=5)
    rest = owner.ec2.describe_snapshots(Filters=flt, MaxResults=5, NextToken=first["NextToken"])
    assert len(first["Snapshots"]) == 5 and len(rest["Snapshots"]) == 1 and not rest.get("NextToken")
    assert sorted(s["SnapshotId"] for s in first["Snapshots"] + rest["Snapshots"]) == sorted(made)
    assert code_status(error_of(owner.ec2.describe_snapshots, MaxResults=2)) == ("InvalidParameterValue", 400)
    err = error_of(owner.ec2.describe_snapshots, SnapshotIds=[made[0], "snap-0123456789abcdef0"])
    assert code_status(err) == ("InvalidSnapshot.NotFound", 400)
    assert "snap-0123456789abcdef0" in err.response["Error"]["Message"]
    assert code_status(error_of(owner.ec2.describe_snapshots, SnapshotIds=["snap-x"])) == (
        "InvalidSnapshotID.Malformed", 400)


# -- sharing --------------------------------------------------------------------------------------------------------


def test_create_volume_permission_shares_a_snapshot(owner, other):
    snapshot_id = owner.ec2.create_snapshot(VolumeId=_volume(owner.ec2, 2))["SnapshotId"]
    assert code_status(error_of(other.ec2.describe_snapshots, SnapshotIds=[snapshot_id])) == (
        "InvalidSnapshot.NotFound", 400)
    owner.ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission",
                                        OperationType="add", UserIds=[OTHER["id"]])
    attribute = owner.ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
    assert attribute["CreateVolumePermissions"] == [{"UserId": OTHER["id"]}]
    seen = other.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert seen["OwnerId"] == OWNER["id"]
    assert snapshot_id in [s["SnapshotId"] for s in other.ec2.describe_snapshots(RestorableByUserIds=["self"])[
        "Snapshots"]]
    assert snapshot_id not in [s["SnapshotId"] for s in other.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]]
    restored = other.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)
    assert (restored["Size"], restored["SnapshotId"]) == (2, snapshot_id)
    # only the owner deletes or changes it
    assert code_status(error_of(other.ec2.delete_snapshot, SnapshotId=snapshot_id)) == (
        "InvalidSnapshot.NotFound", 400)
    owner.ec2.modify_snapshot_attribute(SnapshotId=snapshot_id,
                                        CreateVolumePermission={"Remove": [{"UserId": OTHER["id"]}]})
    assert code_status(error_of(other.ec2.create_volume, AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)) == (
        "InvalidSnapshot.NotFound", 400)
    # public, then reset
    owner.ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, CreateVolumePermission={"Add": [{"Group": "all"}]})
    assert other.ec2.describe_snapshots(SnapshotIds=[snapshot_id], RestorableByUserIds=["all"])["Snapshots"]
    owner.ec2.reset_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
    attribute = owner.ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
    assert attribute.get("CreateVolumePermissions", []) == []
    assert code_status(error_of(other.ec2.describe_snapshots, SnapshotIds=[snapshot_id])) == (
        "InvalidSnapshot.NotFound", 400)


def test_snapshot_attribute_refusals(owner):
    snapshot_id = owner.ec2.create_snapshot(VolumeId=_volume(owner.ec2))["SnapshotId"]
    err = error_of(owner.ec2.modify_snapshot_attribute, SnapshotId=snapshot_id,
                   CreateVolumePermission={"Add": [{"UserId": "not-an-account"}]})
    assert code_status(err) == ("InvalidUserID.Malformed", 400)
    err = error_of(owner.ec2.modify_snapshot_attribute, SnapshotId=snapshot_id, OperationType="add",
                   GroupNames=["friends"])
    assert code_status(err) == ("InvalidParameterValue", 400)
    err = error_of(owner.ec2.describe_snapshot_attribute, SnapshotId="snap-0123456789abcdef0",
                   Attribute="createVolumePermission")
    assert code_status(err) == ("InvalidSnapshot.NotFound", 400)
    assert owner.ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="productCodes").get(
        "ProductCodes", []) == []


# -- volumes from snapshots --------------------------------------------------------------------------------------


def test_volume_from_snapshot_holds_its_data(owner):
    blocks = {0: block(1), 5: block(b"pycloud"), 2047: block(255)}
    source = direct_snapshot(owner.ebs, blocks)
    err = error_of(owner.ec2.create_volume, AvailabilityZone="us-east-1a", SnapshotId=source, Size=0)
    assert code_status(err) == ("InvalidParameterValue", 400)
    restored = owner.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=source, Size=3, VolumeType="gp3")
    assert (restored["SnapshotId"], restored["Size"], restored["FastRestored"]) == (source, 3, False)
    # the restored volume reads the snapshot's blocks: a snapshot of it holds exactly them
    again = owner.ec2.create_snapshot(VolumeId=restored["VolumeId"])["SnapshotId"]
    owner.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[again], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert snapshot_state(owner.ec2, again)["VolumeSize"] == 3
    assert read_blocks(owner.ebs, again) == blocks


def test_delete_snapshot(owner):
    volume_id = _volume(owner.ec2)
    snapshot_id = owner.ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    restored = owner.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)["VolumeId"]
    assert code_status(error_of(owner.ec2.delete_snapshot, SnapshotId=snapshot_id, DryRun=True)) == (
        "DryRunOperation", 412)
    owner.ec2.delete_snapshot(SnapshotId=snapshot_id)  # volumes made from it do not hold it
    assert volume(owner.ec2, restored)["SnapshotId"] == snapshot_id
    assert code_status(error_of(owner.ec2.describe_snapshots, SnapshotIds=[snapshot_id])) == (
        "InvalidSnapshot.NotFound", 400)
    assert code_status(error_of(owner.ec2.delete_snapshot, SnapshotId=snapshot_id)) == (
        "InvalidSnapshot.NotFound", 400)


# -- on the virtual clock (a server of its own) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def timed():
    with PycloudServer() as server:
        yield server, Clients(server, OWNER)


def test_copy_snapshot_holds_the_source_until_done(timed):
    server, me = timed
    west = me.in_region("us-west-2")
    blocks = {1: block(7), 9: block(9)}
    source = direct_snapshot(west.ebs, blocks)
    copied = me.ec2.copy_snapshot(SourceRegion="us-west-2", SourceSnapshotId=source,
                                  TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "c", "Value": "1"}]}])
    copy_id = copied["SnapshotId"]
    assert copy_id != source and copied["Tags"] == [{"Key": "c", "Value": "1"}]
    found = snapshot_state(me.ec2, copy_id)
    assert found["State"] == "pending" and found["Description"] == f"[Copied {source} from us-west-2]"
    err = error_of(west.ec2.delete_snapshot, SnapshotId=source)
    assert code_status(err) == ("InvalidSnapshot.InUse", 400) and copy_id in err.response["Error"]["Message"]
    server.advance_clock(120)
    assert snapshot_state(me.ec2, copy_id)["State"] == "completed"
    west.ec2.delete_snapshot(SnapshotId=source)
    assert read_blocks(me.ebs, copy_id) == blocks  # the copy keeps its own blocks
    assert code_status(error_of(me.ec2.copy_snapshot, SourceRegion="us-west-2", SourceSnapshotId=source)) == (
        "InvalidSnapshot.NotFound", 400)


def test_copy_snapshot_with_completion_duration(timed):
    server, me = timed
    source = me.ec2.create_snapshot(VolumeId=_volume(me.ec2))["SnapshotId"]
    server.advance_clock(1)
    copy_id = me.ec2.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=source, CompletionDurationMinutes=30,
                                   Description="timed")["SnapshotId"]
    server.advance_clock(29 * 60)
    assert snapshot_state(me.ec2, copy_id)["State"] == "pending"
    server.advance_clock(61)
    assert snapshot_state(me.ec2, copy_id)["State"] == "completed"


def test_fast_snapshot_restore_states_and_credits(timed):
    server, me = timed
    snapshot_id = direct_snapshot(me.ebs, {0: block(3)})  # 1 GiB: 10 credits an hour, bucket of 10
    enabled = me.ec2.enable_fast_snapshot_restores(SourceSnapshotIds=[snapshot_id],
                                                   AvailabilityZones=["us-east-1a", "us-east-1b"])
    assert [(s["AvailabilityZone"], s["State"]) for s in enabled["Successful"]] == [
        ("us-east-1a", "enabling"), ("us-east-1b", "enabling")]
    assert enabled["Successful"][0]["StateTransitionReason"] == "Client.UserInitiated"

    def states():
        found = me.ec2.describe_fast_snapshot_restores(Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}])
        return {item["AvailabilityZone"]: item["State"] for item in found["FastSnapshotRestores"]}

    assert states() == {"us-east-1a": "enabling", "us-east-1b": "enabling"}
    server.advance_clock(61)
    assert set(states().values()) == {"optimizing"}
    server.advance_clock(5)  # 60 minutes per TiB: 3.5 s for 1 GiB
    assert set(states().values()) == {"enabled"}
    # credits fill from zero: not one whole credit yet
    early = me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)
    assert early["FastRestored"] is False
    server.advance_clock(3600)  # a full bucket: 10 credits
    fast = [me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)["FastRestored"]
            for _ in range(11)]
    assert fast == [True] * 10 + [False]
    assert volume(me.ec2, early["VolumeId"])["FastRestored"] is False
    # another zone has its own bucket; a zone without fast snapshot restore none
    assert me.ec2.create_volume(AvailabilityZone="us-east-1b", SnapshotId=snapshot_id)["FastRestored"] is True
    assert me.ec2.create_volume(AvailabilityZone="us-east-1c", SnapshotId=snapshot_id)["FastRestored"] is False

    disabled = me.ec2.disable_fast_snapshot_restores(SourceSnapshotIds=[snapshot_id],
                                                     AvailabilityZones=["us-east-1a"])
    assert [s["State"] for s in disabled["Successful"]] == ["disabling"]
    server.advance_clock(61)
    assert states() == {"us-east-1a": "disabled", "us-east-1b": "enabled"}
    assert me.ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot_id)["FastRestored"] is False
    again = me.ec2.disable_fast_snapshot_restores(SourceSnapshotIds=[snapshot_id], AvailabilityZones=["us-east-1a"])
    assert again["Successful"] == [] and again["Unsuccessful"][0]["SnapshotId"] == snapshot_id


def test_fast_snapshot_restore_refusals(timed):
    _, me = timed
    missing = "snap-0123456789abcdef0"
    answer = me.ec2.enable_fast_snapshot_restores(SourceSnapshotIds=[missing], AvailabilityZones=["us-east-1a"])
    assert answer["Successful"] == []
    error = answer["Unsuccessful"][0]["FastSnapshotRestoreStateErrors"][0]
    assert (error["AvailabilityZone"], error["Error"]["Code"]) == ("us-east-1a", "InvalidSnapshot.NotFound")
    snapshot_id = me.ec2.create_snapshot(VolumeId=_volume(me.ec2))["SnapshotId"]
    err = error_of(me.ec2.enable_fast_snapshot_restores, SourceSnapshotIds=[snapshot_id],
                   AvailabilityZones=["us-east-1z"])
    assert code_status(err) == ("InvalidZone.NotFound", 400)
    err = error_of(me.ec2.enable_fast_snapshot_restores, SourceSnapshotIds=[snapshot_id],
                   AvailabilityZones=["us-east-1a"], DryRun=True)
    assert code_status(err) == ("DryRunOperation", 412)
    assert me.ec2.describe_fast_snapshot_restores(
        Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}])["FastSnapshotRestores"] == []
