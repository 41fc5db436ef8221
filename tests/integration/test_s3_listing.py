"""S3 listings through boto3: ListObjectsV2 / ListObjects / ListObjectVersions pagination checked
exhaustively against a Python reference on random unicode keys, delimiter roll-up, URL encoding,
versions and delete markers."""

from __future__ import annotations

import random
import uuid

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "555566667777"
KEY = "AKIAS3LISTINGTESTS01"
SECRET = "s3-listing-tests-secret"

ALPHABET = ["a", "b", "z", "/", "+", "%", " ", "é", "日", "-", "~", "&", "<", "0", "Ω", "_", "."]


@pytest.fixture(scope="module")
def s3(pycloud):
    pycloud.admin("POST", "/_pycloud/accounts", {"id": ACCOUNT, "access_key": KEY, "secret_key": SECRET,
                                                 "name": "s3-listing"})
    return pycloud.client("s3", access_key=KEY, secret_key=SECRET)


def new_bucket(s3, versioned: bool = False) -> str:
    name = f"lst-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def random_keys(rng: random.Random, count: int) -> list[str]:
    keys: set[str] = set()
    while len(keys) < count:
        key = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 7)))
        if not key.startswith("/"):
            keys.add(key)
    return sorted(keys)


def reference(keys: list[str], prefix: str, delimiter: str) -> list[tuple[str, str]]:
    """Every entry a listing returns, in order: ("key", k) or ("prefix", p)."""
    out: list[tuple[str, str]] = []
    for key in sorted(keys):  # code point order == UTF-8 byte order
        if not key.startswith(prefix):
            continue
        index = key.find(delimiter, len(prefix)) if delimiter else -1
        if index >= 0:
            rolled = key[: index + len(delimiter)]
            if not out or out[-1] != ("prefix", rolled):
                out.append(("prefix", rolled))
        else:
            out.append(("key", key))
    return out


@pytest.fixture(scope="module")
def populated(s3):
    rng = random.Random(20261127)
    keys = random_keys(rng, 60)
    bucket = new_bucket(s3)
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket, keys


def v2_pages(s3, bucket: str, **kwargs) -> tuple[list[tuple[str, str]], list[dict]]:
    entries: list[tuple[str, str]] = []
    pages = []
    token = None
    while True:
        call = dict(kwargs)
        if token:
            call["ContinuationToken"] = token
        page = s3.list_objects_v2(Bucket=bucket, **call)
        pages.append(page)
        got = [("key", o["Key"]) for o in page.get("Contents", [])]
        got += [("prefix", p["Prefix"]) for p in page.get("CommonPrefixes", [])]
        assert page["KeyCount"] == len(got)
        assert len(got) <= kwargs.get("MaxKeys", 1000)
        entries += sorted(got, key=lambda e: e[1])
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            return entries, pages
        token = page["NextContinuationToken"]
        assert len(pages) < 200


@pytest.mark.parametrize("max_keys", [1, 2, 7, 1000])
@pytest.mark.parametrize("delimiter", ["", "/", "+", "%"])
def test_v2_pagination_matches_reference(s3, populated, max_keys, delimiter):
    bucket, keys = populated
    rng = random.Random(f"{max_keys}{delimiter}")
    for prefix in ["", rng.choice(keys)[:1], rng.choice(keys)[:2]]:
        kwargs = {"MaxKeys": max_keys, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        entries, pages = v2_pages(s3, bucket, **kwargs)
        assert entries == reference(keys, prefix, delimiter), (prefix, delimiter)
        assert pages[0]["EncodingType"] == "url"
        assert pages[0]["Prefix"] == prefix
        if delimiter:
            assert pages[0]["Delimiter"] == delimiter


def test_v2_start_after_and_fetch_owner(s3, populated):
    bucket, keys = populated
    for after in [keys[0], keys[17], keys[-1], "m", "\u65e5"]:
        entries, pages = v2_pages(s3, bucket, StartAfter=after, MaxKeys=9)
        assert entries == [("key", k) for k in keys if k > after]
        assert all(p["StartAfter"] == after for p in pages)
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, FetchOwner=True)
    assert all(o["Owner"]["ID"] and o["StorageClass"] == "STANDARD" for o in page["Contents"])
    assert "Owner" not in s3.list_objects_v2(Bucket=bucket, MaxKeys=3)["Contents"][0]
    first = page["Contents"][0]
    assert first["Size"] == len(first["Key"].encode())


def test_v2_max_keys_edges_and_bad_token(s3, populated):
    bucket, keys = populated
    zero = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert zero["KeyCount"] == 0 and not zero["IsTruncated"] and "Contents" not in zero
    big = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert big["KeyCount"] == len(keys) and not big["IsTruncated"]
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="not-a-token")
    assert info.value.response["Error"]["Code"] == "InvalidArgument"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket="lst-no-such-bucket-" + uuid.uuid4().hex[:8])
    assert info.value.response["Error"]["Code"] == "NoSuchBucket"


def test_raw_url_encoding_of_keys(s3):
    """Without botocore's decoding the wire shows S3's form encoding (space as +, + as %2B, / kept)."""
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a b/c+d%e\u00e9", Body=b"")
    events = s3.meta.events
    raw: dict = {}
    events.register("after-call.s3.ListObjectsV2", lambda **kw: raw.setdefault("b", kw["http_response"].content))
    try:
        page = s3.list_objects_v2(Bucket=bucket)
    finally:
        events.unregister("after-call.s3.ListObjectsV2")
    assert page["Contents"][0]["Key"] == "a b/c+d%e\u00e9"
    assert b"<Key>a+b/c%2Bd%25e%C3%A9</Key>" in raw["b"]


def test_v1_markers(s3, populated):
    bucket, keys = populated
    for delimiter in ["", "/"]:
        entries: list[tuple[str, str]] = []
        marker = ""
        for _ in range(200):
            kwargs = {"MaxKeys": 4, "Marker": marker}
            if delimiter:
                kwargs["Delimiter"] = delimiter
            page = s3.list_objects(Bucket=bucket, **kwargs)
            got = [("key", o["Key"]) for o in page.get("Contents", [])]
            got += [("prefix", p["Prefix"]) for p in page.get("CommonPrefixes", [])]
            got.sort(key=lambda e: e[1])
            entries += got
            assert all("Owner" in o for o in page.get("Contents", []))
            if not page["IsTruncated"]:
                break
            if delimiter:
                assert page["NextMarker"] == got[-1][1]
            else:
                assert "NextMarker" not in page
            marker = got[-1][1]
        assert entries == reference(keys, "", delimiter)


def test_versions_and_delete_markers(s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"before versioning")  # the null version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    expected: dict[str, list[tuple[str, bool]]] = {"plain": [("null", False)]}
    for key in ["a/1", "a/2", "b", "plain"]:
        for _ in range(3):
            vid = s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"]
            expected.setdefault(key, []).insert(0, (vid, False))
    marker = s3.delete_object(Bucket=bucket, Key="b")
    assert marker["DeleteMarker"]
    expected["b"].insert(0, (marker["VersionId"], True))

    want = [(k, vid, dm, i == 0) for k in sorted(expected) for i, (vid, dm) in enumerate(expected[k])]
    for page_size in [1, 3, 5, 1000]:
        got = []
        kwargs: dict = {"MaxKeys": page_size}
        for _ in range(100):
            page = s3.list_object_versions(Bucket=bucket, **kwargs)
            stream = [(v["Key"], v["VersionId"], False, v["IsLatest"]) for v in page.get("Versions", [])]
            stream += [(m["Key"], m["VersionId"], True, m["IsLatest"]) for m in page.get("DeleteMarkers", [])]
            # The two lists interleave by (key, newest first): order them back as one stream.
            order = {(k, vid): n for n, (k, vid, _, _) in enumerate(want)}
            got += sorted(stream, key=lambda e: order[(e[0], e[1])])
            assert len(stream) <= page_size
            if not page["IsTruncated"]:
                break
            kwargs = {"MaxKeys": page_size, "KeyMarker": page["NextKeyMarker"],
                      "VersionIdMarker": page["NextVersionIdMarker"]}
        assert got == want, page_size

    full = s3.list_object_versions(Bucket=bucket)
    assert all(v["Owner"]["ID"] and v["StorageClass"] == "STANDARD" for v in full["Versions"])
    assert all("Owner" in m for m in full["DeleteMarkers"])
    # current listing hides the deleted key
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["a/1", "a/2", "plain"]
    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/"]
    assert {v["Key"] for v in rolled["Versions"]} == {"b", "plain"}


def test_versions_marker_errors(s3):
    bucket = new_bucket(s3, versioned=True)
    for kwargs in [{"VersionIdMarker": "null"}, {"KeyMarker": "k", "VersionIdMarker": "bad id"}]:
        with pytest.raises(ClientError) as info:
            s3.list_object_versions(Bucket=bucket, **kwargs)
        assert info.value.response["Error"]["Code"] == "InvalidArgument"
