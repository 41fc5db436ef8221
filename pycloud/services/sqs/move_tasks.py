"""Message move tasks (dead-letter queue redrive): StartMessageMoveTask and friends.

A task moves the messages that were visible in its source queue when it started, at its
``MaxNumberOfMessagesPerSecond`` rate measured on the virtual clock (advancing the clock moves
them), or all at once on its first step when no rate was given. Tasks advance lazily: whenever the
provider looks at them or at a queue, and after every clock advance.

The last ten tasks of each source queue are control-plane records (one record per source queue
ARN), so a restart keeps them: a RUNNING task goes on where it stood. Records are written when a
task starts, ends, fails or is cancelled, and its progress when it is advanced by a clock advance or
a move-task operation; the advance made on every queue lookup (so on every Send/Receive/DeleteMessage)
only marks the progress for the next such write, so a kill can lose the last few counts of
ApproximateNumberOfMessagesMoved, never a message. The server's clock starts
again at real time after a restart (its offset is not kept): a running task's rate is then measured
from where it had got to, so it neither stalls until real time catches up nor jumps ahead.

A task whose source or destination queue is deleted while it runs ends FAILED, with the legacy code
of QueueDoesNotExist as its FailureReason. Its history stays under its source queue's ARN, where
ListMessageMoveTasks finds it once a queue of that name exists again.

Without a DestinationArn each message goes back to the queue it was dead-lettered from; messages
whose source queue is gone stay in the dead-letter queue and are not counted as moved, so such a
task completes with ApproximateNumberOfMessagesMoved below ApproximateNumberOfMessagesToMove.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycloud.services.sqs import errors
from pycloud.services.sqs.urls import parse_queue_arn
from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable

RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
MAX_RATE = 500
KEPT_PER_SOURCE = 10
KIND = "move-task"

# AWS documents FailureReason only as "the task failure reason" and lists no values; a task whose
# queue went away reports the legacy query code AWS uses for a missing queue.
QUEUE_DELETED = errors.query_code("QueueDoesNotExist")


class MoveFailed(Exception):
    """A task cannot go on; ``reason`` becomes its FailureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Mover = Callable[["MoveTask", int], int]
"""(task, how many) → how many messages were moved; raises MoveFailed when the task cannot go on."""


@dataclass
class MoveTask(RecordModel):
    """One task: what it moves where, how fast, and how far it got.

    ``rate_origin_ms`` is the virtual time its rate is measured from (``started_ms`` until a restart
    sets the clock back) and ``advanced_ms`` the latest virtual time it was advanced to.
    """

    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    started_ms: int
    to_move: int
    moved: int = 0
    status: str = RUNNING
    failure: str | None = None
    rate_origin_ms: int | None = None
    advanced_ms: int | None = None

    def __post_init__(self) -> None:
        if self.rate_origin_ms is None:
            self.rate_origin_ms = self.started_ms
        if self.advanced_ms is None:
            self.advanced_ms = self.started_ms

    def entry(self) -> dict[str, object]:
        """The task as a ListMessageMoveTasks result entry."""
        out: dict[str, object] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == RUNNING:
            out["TaskHandle"] = self.handle
        if self.destination_arn:
            out["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        return out


@dataclass
class History(RecordModel):
    """A source queue's last tasks, oldest first. Stored under (account, region, key=source queue name)."""

    tasks: list[MoveTask] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return {"tasks": [task.to_record() for task in self.tasks]}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> History:
        return cls([MoveTask.from_record(task) for task in record.get("tasks") or []])


def make_handle(source_arn: str) -> str:
    """An opaque task handle (base64 JSON naming the task and its source queue)."""
    payload = json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn}, separators=(",", ":"))
    return base64.b64encode(payload.encode()).decode("ascii")


def handle_source(handle: str) -> str | None:
    """The source queue ARN a task handle names, or None when it is not one of ours."""
    try:
        payload = json.loads(base64.b64decode(handle, validate=True))
    except ValueError:
        return None
    source = payload.get("sourceArn") if isinstance(payload, dict) else None
    return source if isinstance(source, str) else None


class MoveTasks:
    """Every source queue's recent tasks, written through to the state store."""

    def __init__(self, store: StateStore, service: str, now: int) -> None:
        """Load the stored tasks; ``now`` (virtual ms) is the time the server starts at."""
        self._table = RecordTable(store, service, KIND, History)
        self._running: set[str] = set()
        """Source ARNs with a RUNNING task (looked at on every queue lookup, so kept at hand)."""
        self._dirty: set[str] = set()
        """Source ARNs whose progress in memory is ahead of the store."""
        for _, _, _, history in self._table:
            for task in history.tasks:
                if task.status == RUNNING:
                    self._resume(task, now)

    def _resume(self, task: MoveTask, now: int) -> None:
        assert task.advanced_ms is not None and task.rate_origin_ms is not None
        if task.advanced_ms > now:  # the clock's offset went with the last run: carry on from here
            task.rate_origin_ms -= task.advanced_ms - now
            task.advanced_ms = now
            self._save(task.source_arn)
        self._running.add(task.source_arn)

    @property
    def running(self) -> bool:
        return bool(self._running)

    def _history(self, source_arn: str) -> History | None:
        ref = parse_queue_arn(source_arn)
        return self._table.get(ref.account, ref.region, ref.name) if ref is not None else None

    def _save(self, source_arn: str) -> None:
        ref = parse_queue_arn(source_arn)
        history = self._history(source_arn)
        if ref is not None and history is not None:
            self._table.put(ref.account, ref.region, ref.name, history)
        self._dirty.discard(source_arn)
        if history is None or not any(t.status == RUNNING for t in history.tasks):
            self._running.discard(source_arn)

    def start(self, source_arn: str, destination_arn: str | None, rate: int | None, now: int, to_move: int) -> MoveTask:
        """A new RUNNING task; ``UnsupportedOperation`` when the source already runs one."""
        ref = parse_queue_arn(source_arn)
        assert ref is not None, source_arn
        history = self._history(source_arn) or History()
        if any(t.status == RUNNING for t in history.tasks):
            raise errors.sqs_error(
                "UnsupportedOperation",
                "There is already a task running. Only one active task is allowed for a source queue arn at a "
                "given time.",
            )
        task = MoveTask(make_handle(source_arn), source_arn, destination_arn, rate, now, to_move)
        history = History([*history.tasks, task][-KEPT_PER_SOURCE:])
        self._table.put(ref.account, ref.region, ref.name, history)
        self._running.add(source_arn)
        self._dirty.discard(source_arn)
        return task

    def recent(self, source_arn: str, limit: int) -> list[MoveTask]:
        """The source's most recent tasks, newest first."""
        history = self._history(source_arn)
        return list(reversed(history.tasks))[:limit] if history is not None else []

    def find(self, handle: str) -> MoveTask | None:
        """The task a handle names, or None."""
        history = self._history(handle_source(handle) or "")
        return next((t for t in history.tasks if t.handle == handle), None) if history is not None else None

    def cancel(self, task: MoveTask) -> None:
        """Stop a running task where it stands."""
        task.status = CANCELLED
        self._save(task.source_arn)

    def queue_deleted(self, arn: str) -> None:
        """Fail the running tasks that move from or to the deleted queue ``arn``."""
        for source_arn in list(self._running):
            history = self._history(source_arn)
            failed = False
            for task in history.tasks if history is not None else []:
                if task.status == RUNNING and arn in (task.source_arn, task.destination_arn):
                    task.status, task.failure = FAILED, QUEUE_DELETED
                    failed = True
            if failed:
                self._save(source_arn)

    def clear(self) -> None:
        """Forget every task (admin reset)."""
        self._table.clear()
        self._running.clear()
        self._dirty.clear()

    def advance(self, now: int, mover: Mover, *, persist: bool = True) -> None:
        """Move what every running task is due to have moved by ``now``.

        With ``persist`` every task that changed (and any progress left unwritten) is written;
        without it (the message path) only a task that ended is, and the progress of the others
        waits for the next persisting advance.
        """
        for source_arn in list(self._running):
            history = self._history(source_arn)
            changed = ended = False
            for task in history.tasks if history is not None else []:
                if task.status == RUNNING and step(task, now, mover):
                    changed = True
                    ended = ended or task.status != RUNNING
            if ended or (persist and changed):
                self._save(source_arn)
            elif changed:
                self._dirty.add(source_arn)
        if persist:
            for source_arn in list(self._dirty):
                self._save(source_arn)


def step(task: MoveTask, now: int, mover: Mover) -> bool:
    """Advance one running task to ``now``: move its due messages, finish it when done.

    Returns whether the task changed (moved something, or ended).
    """
    assert task.rate_origin_ms is not None and task.advanced_ms is not None
    if task.rate is None:
        due = task.to_move
    else:
        due = min(task.to_move, max(0, now - task.rate_origin_ms) * task.rate // 1000)
    wanted = due - task.moved
    changed = False
    if wanted > 0:
        try:
            moved = mover(task, wanted)
        except MoveFailed as failure:
            task.status, task.failure = FAILED, failure.reason
            return True
        task.moved += moved
        task.advanced_ms = max(task.advanced_ms, now)
        changed = True
        # Fewer than asked: nothing movable is left (messages deleted or received meanwhile, or
        # left behind because the queue they go back to is gone).
        if moved < wanted:
            task.status = COMPLETED
    if task.moved >= task.to_move:
        task.status = COMPLETED
        changed = True
    return changed
