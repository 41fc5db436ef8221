"""EC2 volumes through boto3: CreateVolume's validation and idempotency, DescribeVolumes (ids,
filters, pages), DeleteVolume, DescribeVolumeStatus, the volume attributes, ModifyVolume and
DescribeVolumesModifications on the virtual clock, and records surviving a restart.

Tests on the shared server act as a dedicated account; tests that move the clock by hours run a
server of their own."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from ebs_helpers import Clients, account, volume
from s3_helpers import code_status, error_of

from pycloud.testing import PycloudServer

ACCOUNT = account("515151515151", "ebs-volumes")


@pytest.fixture(scope="module")
def ec2(pycloud):
    return Clients(pycloud, ACCOUNT).ec2


def _tagged(ec2, label: str, count: int, **kwargs):
    """``count`` volumes tagged ``batch=label`` (so a test can filter to its own)."""
    spec = [{"ResourceType": "volume", "Tags": [{"Key": "batch", "Value": label}]}]
    return [ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=spec, **kwargs)["VolumeId"]
            for _ in range(count)]


# -- CreateVolume ---------------------------------------------------------------------------------------


def test_create_volume_defaults_and_describe(ec2):
    created = ec2.create_volume(
        AvailabilityZone="us-east-1b", Size=50,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )
    assert created["State"] == "creating"
    assert created["VolumeId"].startswith("vol-") and len(created["VolumeId"]) == 21
    assert (created["VolumeType"], created["Size"], created["Iops"]) == ("gp2", 50, 150)  # 3 IOPS per GiB
    assert created["Encrypted"] is False and created["SnapshotId"] == ""
    assert (created["AvailabilityZone"], created["AvailabilityZoneId"]) == ("us-east-1b", "use1-az2")
    described = volume(ec2, created["VolumeId"])
    assert described["State"] == "available"
    assert described["Tags"] == [{"Key": "Name", "Value": "data"}]
    assert described["Attachments"] == [] and described["MultiAttachEnabled"] is False
    ec2.get_waiter("volume_available").wait(VolumeIds=[created["VolumeId"]])


def test_create_volume_types_report_their_performance(ec2):
    gp3 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="gp3", Iops=4000, Throughput=250)
    assert (gp3["Iops"], gp3["Throughput"]) == (4000, 250)
    default_gp3 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp3")
    assert (default_gp3["Iops"], default_gp3["Throughput"]) == (3000, 125)
    io2 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="io2", Iops=1000,
                            MultiAttachEnabled=True)
    assert io2["MultiAttachEnabled"] is True and io2["Iops"] == 1000
    st1 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=125, VolumeType="st1")
    assert st1["VolumeType"] == "st1" and "Throughput" not in st1


def test_create_volume_encryption_is_recorded(ec2):
    plain = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)
    assert plain["Encrypted"] is True and plain["KmsKeyId"].endswith(":alias/aws/ebs")
    key = "arn:aws:kms:us-east-1:515151515151:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    chosen = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True, KmsKeyId=key)
    assert volume(ec2, chosen["VolumeId"])["KmsKeyId"] == key


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"Size": 1}, "MissingParameter"),
        ({"AvailabilityZone": "us-east-1z", "Size": 1}, "InvalidZone.NotFound"),
        ({"AvailabilityZone": "eu-west-1a", "Size": 1}, "InvalidZone.NotFound"),
        ({"AvailabilityZone": "us-east-1a"}, "MissingParameter"),
        ({"AvailabilityZone": "us-east-1a", "Size": 0}, "InvalidParameterValue"),
        ({"AvailabilityZone": "us-east-1a", "Size": 20000}, "InvalidParameterValue"),
        ({"AvailabilityZone": "us-east-1a", "Size": 10, "Iops": 500}, "InvalidParameterCombination"),
        ({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "io1"}, "InvalidParameterCombination"),
        ({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "io1", "Iops": 1000}, "InvalidParameterValue"),
        ({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "st1"}, "InvalidParameterValue"),
        ({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "gp3", "Throughput": 100},
         "InvalidParameterValue"),
        ({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "gp3", "MultiAttachEnabled": True},
         "InvalidParameterValue"),
        ({"AvailabilityZone": "us-east-1a", "Size": 1, "KmsKeyId": "alias/mine"}, "InvalidParameterDependency"),
        ({"AvailabilityZone": "us-east-1a", "SnapshotId": "snap-0123456789abcdef0"}, "InvalidSnapshot.NotFound"),
        ({"AvailabilityZone": "us-east-1a", "SnapshotId": "snap-nope"}, "InvalidSnapshotID.Malformed"),
        ({"AvailabilityZone": "us-east-1a", "Size": 1,
          "TagSpecifications": [{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}]},
         "InvalidParameterValue"),
    ],
)
def test_create_volume_refuses_what_aws_refuses(ec2, kwargs, code):
    before = len(ec2.describe_volumes()["Volumes"])
    err = error_of(ec2.create_volume, **kwargs)
    assert code_status(err) == (code, 400)
    assert err.response["Error"]["Message"]
    assert len(ec2.describe_volumes()["Volumes"]) == before


def test_create_volume_messages_match_aws(ec2):
    err = error_of(ec2.create_volume, AvailabilityZone="us-east-1a", Size=10, VolumeType="st1")
    assert err.response["Error"]["Message"] == "Volume of 10GiB is too small; minimum is 125GiB."
    err = error_of(ec2.create_volume, AvailabilityZone="us-east-1q", Size=1)
    assert err.response["Error"]["Message"] == "The zone 'us-east-1q' does not exist."


def test_create_volume_dry_run(ec2):
    err = error_of(ec2.create_volume, AvailabilityZone="us-east-1a", Size=1, DryRun=True)
    assert code_status(err) == ("DryRunOperation", 412)
    # validation still comes first
    err = error_of(ec2.create_volume, AvailabilityZone="us-east-1a", Size=0, DryRun=True)
    assert code_status(err) == ("InvalidParameterValue", 400)


def test_create_volume_client_token_is_idempotent(ec2):
    token = uuid.uuid4().hex
    first = ec2.create_volume(AvailabilityZone="us-east-1a", Size=3, ClientToken=token)
    again = ec2.create_volume(AvailabilityZone="us-east-1a", Size=3, ClientToken=token)
    assert again["VolumeId"] == first["VolumeId"]
    err = error_of(ec2.create_volume, AvailabilityZone="us-east-1a", Size=4, ClientToken=token)
    assert code_status(err) == ("IdempotentParameterMismatch", 400)


# -- DescribeVolumes ----------------------------------------------------------------------------------------


def test_describe_volumes_unknown_and_malformed_ids(ec2):
    missing = "vol-0123456789abcdef0"
    err = error_of(ec2.describe_volumes, VolumeIds=[missing])
    assert code_status(err) == ("InvalidVolume.NotFound", 400)
    assert err.response["Error"]["Message"] == f"The volume '{missing}' does not exist."
    err = error_of(ec2.describe_volumes, VolumeIds=["vol-xyz"])
    assert code_status(err) == ("InvalidVolumeID.Malformed", 400)


def test_describe_volumes_filters(ec2):
    label = uuid.uuid4().hex
    small = _tagged(ec2, label, 2)
    big = ec2.create_volume(AvailabilityZone="us-east-1c", Size=7, VolumeType="gp3", Encrypted=True,
                            TagSpecifications=[{"ResourceType": "volume",
                                                "Tags": [{"Key": "batch", "Value": label}, {"Key": "x", "Value": "1"}]}])

    def ids(*filters):
        found = ec2.describe_volumes(Filters=[{"Name": "tag:batch", "Values": [label]}, *filters])["Volumes"]
        return sorted(v["VolumeId"] for v in found)

    assert ids() == sorted([*small, big["VolumeId"]])
    assert ids({"Name": "volume-type", "Values": ["gp3"]}) == [big["VolumeId"]]
    assert ids({"Name": "size", "Values": ["1"]}) == sorted(small)
    assert ids({"Name": "availability-zone", "Values": ["us-east-1c"]}) == [big["VolumeId"]]
    assert ids({"Name": "encrypted", "Values": ["true"]}) == [big["VolumeId"]]
    assert ids({"Name": "tag-key", "Values": ["x"]}) == [big["VolumeId"]]
    assert ids({"Name": "status", "Values": ["available"]}) == sorted([*small, big["VolumeId"]])
    assert ids({"Name": "volume-id", "Values": [small[0]]}) == [small[0]]
    year = datetime.now().year
    assert len(ids({"Name": "create-time", "Values": [f"{year}-*", f"{year + 1}-*"]})) == 3
    assert ids({"Name": "attachment.instance-id", "Values": ["i-*"]}) == []
    err = error_of(ec2.describe_volumes, Filters=[{"Name": "colour", "Values": ["red"]}])
    assert code_status(err) == ("InvalidParameterValue", 400)


def test_describe_volumes_pages(ec2):
    label = uuid.uuid4().hex
    made = _tagged(ec2, label, 7)
    flt = [{"Name": "tag:batch", "Values": [label]}]
    first = ec2.describe_volumes(Filters=flt, MaxResults=5)
    assert len(first["Volumes"]) == 5 and first["NextToken"]
    second = ec2.describe_volumes(Filters=flt, MaxResults=5, NextToken=first["NextToken"])
    assert len(second["Volumes"]) == 2 and not second.get("NextToken")
    seen = [v["VolumeId"] for v in first["Volumes"] + second["Volumes"]]
    assert sorted(seen) == sorted(made) and len(set(seen)) == 7
    paged = [v["VolumeId"] for page in ec2.get_paginator("describe_volumes").paginate(
        Filters=flt, PaginationConfig={"PageSize": 5}) for v in page["Volumes"]]
    assert sorted(paged) == sorted(made)
    assert code_status(error_of(ec2.describe_volumes, MaxResults=3)) == ("InvalidParameterValue", 400)
    assert code_status(error_of(ec2.describe_volumes, MaxResults=501)) == ("InvalidParameterValue", 400)
    assert code_status(error_of(ec2.describe_volumes, VolumeIds=[made[0]], MaxResults=5)) == (
        "InvalidParameterCombination", 400)
    assert code_status(error_of(ec2.describe_volumes, MaxResults=5, NextToken="garbage")) == (
        "InvalidParameterValue", 400)


# -- DeleteVolume ----------------------------------------------------------------------------------------


def test_delete_volume(ec2):
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    assert code_status(error_of(ec2.delete_volume, VolumeId=volume_id, DryRun=True)) == ("DryRunOperation", 412)
    ec2.delete_volume(VolumeId=volume_id)
    assert code_status(error_of(ec2.describe_volumes, VolumeIds=[volume_id])) == ("InvalidVolume.NotFound", 400)
    assert code_status(error_of(ec2.delete_volume, VolumeId=volume_id)) == ("InvalidVolume.NotFound", 400)
    assert code_status(error_of(ec2.delete_volume, VolumeId="volume-1")) == ("InvalidVolumeID.Malformed", 400)


def test_volumes_are_per_account_and_region(ec2, pycloud):
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    other = Clients(pycloud, account("525252525252", "ebs-volumes-other")).ec2
    assert code_status(error_of(other.describe_volumes, VolumeIds=[volume_id])) == ("InvalidVolume.NotFound", 400)
    west = Clients(pycloud, ACCOUNT, "us-west-2").ec2
    assert code_status(error_of(west.describe_volumes, VolumeIds=[volume_id])) == ("InvalidVolume.NotFound", 400)
    assert code_status(error_of(west.create_volume, AvailabilityZone="us-east-1a", Size=1)) == (
        "InvalidZone.NotFound", 400)


# -- status and attributes ---------------------------------------------------------------------------------


def test_describe_volume_status(ec2):
    gp2 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    io1 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="io1", Iops=200)["VolumeId"]
    statuses = {s["VolumeId"]: s for s in ec2.describe_volume_status(VolumeIds=[gp2, io1])["VolumeStatuses"]}
    assert statuses[gp2]["VolumeStatus"]["Status"] == "ok"
    details = {d["Name"]: d["Status"] for d in statuses[gp2]["VolumeStatus"]["Details"]}
    assert details == {"io-enabled": "passed", "io-performance": "not-applicable"}
    details = {d["Name"]: d["Status"] for d in statuses[io1]["VolumeStatus"]["Details"]}
    assert details == {"io-enabled": "passed", "io-performance": "normal"}
    assert statuses[io1]["AvailabilityZone"] == "us-east-1a" and statuses[io1]["Events"] == []
    normal = ec2.describe_volume_status(
        VolumeIds=[gp2, io1], Filters=[{"Name": "volume-status.details-status", "Values": ["normal"]}])
    assert [s["VolumeId"] for s in normal["VolumeStatuses"]] == [io1]
    err = error_of(ec2.describe_volume_status, VolumeIds=["vol-0123456789abcdef0"])
    assert code_status(err) == ("InvalidVolume.NotFound", 400)


def test_volume_attributes(ec2):
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    found = ec2.describe_volume_attribute(VolumeId=volume_id, Attribute="autoEnableIO")
    assert found["AutoEnableIO"] == {"Value": False} and found["VolumeId"] == volume_id
    ec2.modify_volume_attribute(VolumeId=volume_id, AutoEnableIO={"Value": True})
    assert ec2.describe_volume_attribute(VolumeId=volume_id, Attribute="autoEnableIO")["AutoEnableIO"] == {
        "Value": True}
    assert ec2.describe_volume_attribute(VolumeId=volume_id, Attribute="productCodes").get("ProductCodes", []) == []
    err = error_of(ec2.describe_volume_attribute, VolumeId="vol-0123456789abcdef0", Attribute="autoEnableIO")
    assert code_status(err) == ("InvalidVolume.NotFound", 400)


# -- ModifyVolume --------------------------------------------------------------------------------------------


def test_modify_volume_applies_the_target_at_once(ec2):
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    change = ec2.modify_volume(VolumeId=volume_id, Size=20, VolumeType="gp3", Iops=4000)["VolumeModification"]
    assert change["ModificationState"] == "modifying" and change["Progress"] == 0
    assert (change["OriginalSize"], change["OriginalVolumeType"], change["OriginalIops"]) == (10, "gp2", 100)
    assert (change["TargetSize"], change["TargetVolumeType"], change["TargetIops"], change["TargetThroughput"]) == (
        20, "gp3", 4000, 125)
    described = volume(ec2, volume_id)
    assert (described["Size"], described["VolumeType"], described["Iops"]) == (20, "gp3", 4000)
    listed = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert [m["TargetSize"] for m in listed] == [20]
    # the previous modification has not completed yet
    err = error_of(ec2.modify_volume, VolumeId=volume_id, Size=30)
    assert code_status(err) == ("IncorrectModificationState", 400)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"Size": 5}, "InvalidParameterValue"),
        ({}, "MissingParameter"),
        ({"Iops": 500}, "InvalidParameterCombination"),
        ({"VolumeType": "io2"}, "InvalidParameterCombination"),
        ({"VolumeType": "gp3", "Throughput": 5000}, "InvalidParameterValue"),
        ({"MultiAttachEnabled": True}, "InvalidParameterValue"),
    ],
)
def test_modify_volume_refusals(ec2, kwargs, code):
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    assert code_status(error_of(ec2.modify_volume, VolumeId=volume_id, **kwargs)) == (code, 400)
    assert volume(ec2, volume_id)["Size"] == 10
    err = error_of(ec2.describe_volumes_modifications, VolumeIds=[volume_id])
    assert code_status(err) == ("InvalidVolumeModification.NotFound", 400)


def test_modify_unknown_volume(ec2):
    err = error_of(ec2.modify_volume, VolumeId="vol-0123456789abcdef0", Size=10)
    assert code_status(err) == ("InvalidVolume.NotFound", 400)


# -- on the virtual clock (a server of its own) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def timed():
    with PycloudServer() as server:
        yield server, Clients(server, ACCOUNT).ec2


def test_modification_states_follow_the_clock(timed):
    server, ec2 = timed
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100)["VolumeId"]
    ec2.modify_volume(VolumeId=volume_id, Size=200)

    def current():
        return ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"][0]

    assert current()["ModificationState"] == "modifying"
    server.advance_clock(31)
    assert current()["ModificationState"] == "optimizing"
    server.advance_clock(1000)
    optimizing = current()
    assert optimizing["ModificationState"] == "optimizing" and 0 < optimizing["Progress"] < 100
    assert "EndTime" not in optimizing
    assert ec2.describe_volumes_modifications(
        Filters=[{"Name": "modification-state", "Values": ["optimizing"]}, {"Name": "volume-id", "Values": [volume_id]}]
    )["VolumesModifications"]
    server.advance_clock(3 * 3600)  # 200 GiB optimizes in about 70 minutes
    done = current()
    assert done["ModificationState"] == "completed" and done["Progress"] == 100 and done["EndTime"]


def test_four_modifications_a_day(timed):
    server, ec2 = timed
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    for size in (2, 3, 4, 5):
        ec2.modify_volume(VolumeId=volume_id, Size=size)
        server.advance_clock(2 * 3600)  # each completes well within two hours
    err = error_of(ec2.modify_volume, VolumeId=volume_id, Size=6)
    assert code_status(err) == ("VolumeModificationRateExceeded", 400)
    server.advance_clock(17 * 3600)  # the first one leaves the 24-hour window
    assert ec2.modify_volume(VolumeId=volume_id, Size=6)["VolumeModification"]["TargetSize"] == 6


# -- restart ---------------------------------------------------------------------------------------------------


def test_volumes_and_modifications_survive_a_restart(tmp_path):
    data = ["--data-dir", str(tmp_path / "data")]
    with PycloudServer(data, ephemeral=False) as server:
        ec2 = Clients(server, ACCOUNT).ec2
        volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp3", Throughput=300,
                                      TagSpecifications=[{"ResourceType": "volume",
                                                          "Tags": [{"Key": "keep", "Value": "me"}]}])["VolumeId"]
        ec2.modify_volume(VolumeId=volume_id, Size=16)
    with PycloudServer(data, ephemeral=False) as server:
        ec2 = Clients(server, ACCOUNT).ec2
        found = volume(ec2, volume_id)
        assert (found["Size"], found["VolumeType"], found["Throughput"], found["State"]) == (16, "gp3", 300, "available")
        assert found["Tags"] == [{"Key": "keep", "Value": "me"}]
        change = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"][0]
        assert (change["OriginalSize"], change["TargetSize"]) == (8, 16)
        ec2.delete_volume(VolumeId=volume_id)
    with PycloudServer(data, ephemeral=False) as server:
        ec2 = Clients(server, ACCOUNT).ec2
        assert code_status(error_of(ec2.describe_volumes, VolumeIds=[volume_id])) == ("InvalidVolume.NotFound", 400)
