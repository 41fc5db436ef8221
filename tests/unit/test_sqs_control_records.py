"""SQS control-plane records kept in the state store: move tasks (what is written when) and cooldowns."""

from __future__ import annotations

import pytest

from pycloud.services.sqs import move_tasks
from pycloud.services.sqs.models import CooldownTable
from pycloud.state.store import StateStore

SOURCE = "arn:aws:sqs:us-east-1:000000000000:dlq"
DESTINATION = "arn:aws:sqs:us-east-1:000000000000:dst"
T0 = 1_700_000_000_000


@pytest.fixture
def store(tmp_path):
    with StateStore.open(tmp_path) as opened:
        yield opened


def _stored_moved(store: StateStore) -> list[tuple[str, int]]:
    (record,) = store.load("sqs", move_tasks.KIND)
    return [(task["status"], task["moved"]) for task in record.record["tasks"]]


def _mover(task: move_tasks.MoveTask, count: int) -> int:
    return count


def test_the_message_path_writes_no_progress_until_a_persisting_advance(store):
    tasks = move_tasks.MoveTasks(store, "sqs", T0)
    tasks.start(SOURCE, DESTINATION, 1, T0, 10)
    tasks.advance(T0 + 3000, _mover, persist=False)
    assert tasks.recent(SOURCE, 1)[0].moved == 3
    assert _stored_moved(store) == [("RUNNING", 0)]
    tasks.advance(T0 + 3000, _mover)  # nothing new is due, but the unwritten progress is
    assert _stored_moved(store) == [("RUNNING", 3)]
    tasks.advance(T0 + 60_000, _mover, persist=False)  # an end is written at once
    assert _stored_moved(store) == [("COMPLETED", 10)]
    assert not tasks.running


def test_a_reloaded_task_resumes_its_rate_from_its_progress(store):
    tasks = move_tasks.MoveTasks(store, "sqs", T0)
    handle = tasks.start(SOURCE, DESTINATION, 2, T0, 100).handle
    tasks.advance(T0 + 10_000, _mover)  # 20 moved on a clock advanced by 10 s
    # Restarted 7 s of real time after the start: the clock is behind where the task got to.
    reloaded = move_tasks.MoveTasks(store, "sqs", T0 + 7000)
    (task,) = reloaded.recent(SOURCE, 10)
    assert (task.handle, task.moved, task.started_ms) == (handle, 20, T0)
    assert reloaded.find(handle) is task and reloaded.running
    reloaded.advance(T0 + 7000, _mover)
    assert task.moved == 20
    reloaded.advance(T0 + 8000, _mover)  # one more second at 2 per second
    assert task.moved == 22


def test_deleting_a_queue_fails_the_tasks_that_use_it(store):
    tasks = move_tasks.MoveTasks(store, "sqs", T0)
    tasks.start(SOURCE, DESTINATION, 1, T0, 10)
    tasks.queue_deleted("arn:aws:sqs:us-east-1:000000000000:unrelated")
    assert tasks.running
    tasks.queue_deleted(DESTINATION)
    (task,) = move_tasks.MoveTasks(store, "sqs", T0).recent(SOURCE, 1)
    assert (task.status, task.failure) == ("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
    assert not tasks.running


def test_a_failing_mover_fails_the_task(store):
    def broken(task: move_tasks.MoveTask, count: int) -> int:
        raise move_tasks.MoveFailed("InternalError")

    tasks = move_tasks.MoveTasks(store, "sqs", T0)
    tasks.start(SOURCE, None, None, T0, 4)
    tasks.advance(T0, broken, persist=False)
    (task,) = tasks.recent(SOURCE, 1)
    assert (task.status, task.failure, task.moved) == ("FAILED", "InternalError", 0)
    assert _stored_moved(store) == [("FAILED", 0)]


def test_only_the_last_ten_tasks_of_a_source_are_kept(store):
    tasks = move_tasks.MoveTasks(store, "sqs", T0)
    handles = []
    for i in range(12):
        handles.append(tasks.start(SOURCE, None, None, T0 + i, 0).handle)
        tasks.advance(T0 + i, _mover)
    kept = move_tasks.MoveTasks(store, "sqs", T0 + 20).recent(SOURCE, 10)
    assert [t.handle for t in kept] == handles[:1:-1]


def test_cooldowns_run_out_and_are_dropped(store):
    table = CooldownTable(store, "sqs", "deleted-queue", 60)
    table.begin("000000000000", "us-east-1", "a", 1000.0)
    table.begin("000000000000", "us-east-1", "b", 1030.0)
    assert table.running("000000000000", "us-east-1", "a", 1059.0)
    assert not table.running("000000000000", "us-east-1", "a", 1060.0)  # and dropped
    assert [r.key for r in store.load("sqs", "deleted-queue")] == ["b"]
    table.begin("000000000000", "us-east-1", "c", 1100.0)  # a new one drops the run-out ones
    assert [r.key for r in store.load("sqs", "deleted-queue")] == ["c"]
    table.end("000000000000", "us-east-1", "c")
    assert len(table) == 0 and list(store.load("sqs", "deleted-queue")) == []


def test_a_cooldown_stamped_after_start_up_counts_from_start_up(store):
    CooldownTable(store, "sqs", "purge", 60).begin("000000000000", "us-east-1", "q", 5000.0)
    table = CooldownTable(store, "sqs", "purge", 60)
    table.settle(1000.0)  # the clock went back across the restart
    assert table.running("000000000000", "us-east-1", "q", 1059.0)
    assert not table.running("000000000000", "us-east-1", "q", 1060.0)
