"""S3 per-version storage state: restore phases, the per-bucket marker, persistence, restore request rules."""

from __future__ import annotations

import pytest

from pycloud.protocol.errors import ServiceError
from pycloud.services.s3.restore import expiry_after, parse_request, restore_header, restore_status
from pycloud.services.s3.storage_state import StorageState, StorageStore, effective_class
from pycloud.state.store import StateStore
from pycloud.state.table import RecordTable

SCOPE = ("111122223333", "us-east-1")
DAY = 86_400


@pytest.fixture
def state_store(tmp_path):
    store = StateStore.open(tmp_path / "data")
    yield store
    store.close()


def _storage(state_store: StateStore) -> StorageStore:
    return StorageStore(RecordTable(state_store, "s3", "object-storage", StorageState))


def test_restore_phases_follow_the_times():
    state = StorageState(restore_ready=100.0, restore_expiry=200.0)
    assert [state.phase(t) for t in (50.0, 100.0, 199.0, 200.0)] == ["ongoing", "restored", "restored", "none"]
    assert StorageState(storage_class="GLACIER").phase(0.0) == "none"
    assert restore_header(state, 50.0) == {"Restore": 'ongoing-request="true"'}
    assert restore_header(state, 150.0) == {
        "Restore": 'ongoing-request="false", expiry-date="Thu, 01 Jan 1970 00:03:20 GMT"'}
    assert restore_header(state, 250.0) == {} and restore_header(None, 0.0) == {}
    assert restore_status(state, 150.0) == {"RestoreStatus": {"IsRestoreInProgress": False, "RestoreExpiryDate": 200.0}}


def test_effective_class_and_expiry_rounding():
    assert effective_class("STANDARD", None) == "STANDARD"
    assert effective_class("", None) == "STANDARD"
    assert effective_class("STANDARD", StorageState(storage_class="GLACIER")) == "GLACIER"
    assert effective_class("DEEP_ARCHIVE", StorageState(restore_ready=1.0, restore_expiry=2.0)) == "DEEP_ARCHIVE"
    assert expiry_after(10 * DAY + 1, 2) == 13 * DAY
    assert expiry_after(10 * DAY, 2) == 12 * DAY


def test_marker_only_for_buckets_with_records(state_store):
    storage = _storage(state_store)
    assert not storage.marked(SCOPE, "plain")
    storage.forget(SCOPE, "plain", "k", "null")  # nothing to do, nothing marked
    assert not storage.marked(SCOPE, "plain") and len(storage.table) == 0
    storage.transition(SCOPE, "cold", "a/b", "null", "GLACIER")
    assert storage.marked(SCOPE, "cold") and not storage.marked(SCOPE, "plain")
    assert storage.get(SCOPE, "cold", "a/b", "null") == StorageState(storage_class="GLACIER")
    storage.forget(SCOPE, "cold", "a/b", "null")
    assert storage.get(SCOPE, "cold", "a/b", "null") is None
    assert storage.marked(SCOPE, "cold")  # "ever had": the marker stays


def test_records_and_live_restores_survive_a_reload(tmp_path):
    store = StateStore.open(tmp_path / "data")
    storage = _storage(store)
    storage.transition(SCOPE, "b1", "key/with/slashes", "v1", "DEEP_ARCHIVE")
    restoring = StorageState(restore_tier="Bulk", restore_days=1, restore_ready=10.0, restore_expiry=DAY)
    storage.put(SCOPE, "b2", "k", "null", restoring)
    store.close()

    reopened = StateStore.open(tmp_path / "data")
    try:
        storage = _storage(reopened)
        assert storage.marked(SCOPE, "b1") and storage.marked(SCOPE, "b2")
        assert storage.get(SCOPE, "b1", "key/with/slashes", "v1").storage_class == "DEEP_ARCHIVE"
        assert storage.restores() == [((*SCOPE, "b2", "k", "null"), restoring)]
        storage.put(SCOPE, "b2", "k", "null", restoring.without_restore())  # expired: nothing left
        assert storage.restores() == [] and storage.get(SCOPE, "b2", "k", "null") is None
        storage.clear()
        assert not storage.marked(SCOPE, "b1") and len(storage.table) == 0
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("storage_class", "request_body", "code"),
    [
        ("STANDARD", {"Days": 1}, "InvalidObjectState"),
        ("GLACIER_IR", {"Days": 1}, "InvalidObjectState"),
        ("INTELLIGENT_TIERING", {}, "ObjectAlreadyInActiveTierError"),
        ("INTELLIGENT_TIERING", {"Days": 1}, "InvalidArgument"),
        ("GLACIER", {}, "MalformedXML"),
        ("GLACIER", {"Days": 0}, "InvalidArgument"),
        ("GLACIER", {"Days": 1, "GlacierJobParameters": {"Tier": "Fast"}}, "MalformedXML"),
        ("DEEP_ARCHIVE", {"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}}, "InvalidArgument"),
        ("GLACIER", {"Type": "SELECT"}, "NotImplemented"),
    ],
)
def test_restore_request_errors(storage_class, request_body, code):
    with pytest.raises(ServiceError) as info:
        parse_request(storage_class, request_body)
    assert info.value.code == code


def test_restore_request_defaults_to_standard():
    assert parse_request("GLACIER", {"Days": 3}) == ("Standard", 3)
    assert parse_request("DEEP_ARCHIVE", {"Days": 1, "GlacierJobParameters": {"Tier": "Bulk"}}) == ("Bulk", 1)
