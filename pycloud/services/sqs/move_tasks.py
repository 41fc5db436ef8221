"""Message move tasks (dead-letter queue redrive): StartMessageMoveTask and friends.

A task moves the messages that were visible in its source queue when it started, at its
``MaxNumberOfMessagesPerSecond`` rate measured on the virtual clock (advancing the clock moves
them), or all at once on its first step when no rate was given. Tasks advance lazily: whenever the
provider looks at them or at a queue, and after every clock advance. The last ten tasks of each
source queue are kept in memory (a restart forgets them, as it forgets a task's progress).

Without a DestinationArn each message goes back to the queue it was dead-lettered from; messages
whose source queue is gone stay in the dead-letter queue and are not counted as moved, so such a
task completes with ApproximateNumberOfMessagesMoved below ApproximateNumberOfMessagesToMove.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pycloud.services.sqs import errors

RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
MAX_RATE = 500
KEPT_PER_SOURCE = 10

Mover = Callable[["MoveTask", int], int]
"""(task, how many) → how many messages were moved; raises LookupError when a queue is gone."""


@dataclass
class MoveTask:
    """One task: what it moves where, how fast, and how far it got."""

    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    started_ms: int
    to_move: int
    moved: int = 0
    status: str = RUNNING
    failure: str | None = None

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
    """Every source queue's recent tasks."""

    def __init__(self) -> None:
        self._by_source: dict[str, list[MoveTask]] = {}

    @property
    def running(self) -> bool:
        return any(t.status == RUNNING for tasks in self._by_source.values() for t in tasks)

    def start(self, source_arn: str, destination_arn: str | None, rate: int | None, now: int, to_move: int) -> MoveTask:
        """A new RUNNING task; ``UnsupportedOperation`` when the source already runs one."""
        tasks = self._by_source.setdefault(source_arn, [])
        if any(t.status == RUNNING for t in tasks):
            raise errors.sqs_error(
                "UnsupportedOperation",
                "There is already a task running. Only one active task is allowed for a source queue arn at a "
                "given time.",
            )
        task = MoveTask(make_handle(source_arn), source_arn, destination_arn, rate, now, to_move)
        tasks.append(task)
        del tasks[:-KEPT_PER_SOURCE]
        return task

    def recent(self, source_arn: str, limit: int) -> list[MoveTask]:
        """The source's most recent tasks, newest first."""
        return list(reversed(self._by_source.get(source_arn, [])))[:limit]

    def find(self, handle: str) -> MoveTask | None:
        """The task a handle names, or None."""
        source = handle_source(handle)
        return next((t for t in self._by_source.get(source or "", []) if t.handle == handle), None)

    def forget(self, source_arn: str) -> None:
        """Drop a deleted queue's tasks."""
        self._by_source.pop(source_arn, None)

    def clear(self) -> None:
        self._by_source.clear()

    def advance(self, now: int, mover: Mover) -> None:
        """Move what every running task is due to have moved by ``now``."""
        for tasks in list(self._by_source.values()):
            for task in tasks:
                if task.status == RUNNING:
                    step(task, now, mover)


def step(task: MoveTask, now: int, mover: Mover) -> None:
    """Advance one running task to ``now``: move its due messages, finish it when done."""
    if task.rate is None:
        due = task.to_move
    else:
        due = min(task.to_move, (now - task.started_ms) * task.rate // 1000)
    wanted = due - task.moved
    if wanted > 0:
        try:
            moved = mover(task, wanted)
        except LookupError:
            task.status, task.failure = FAILED, "AWS.SimpleQueueService.NonExistentQueue"
            return
        task.moved += moved
        # Fewer than asked: nothing movable is left (messages deleted or received meanwhile, or
        # left behind because the queue they go back to is gone).
        if moved < wanted:
            task.status = COMPLETED
    if task.moved >= task.to_move:
        task.status = COMPLETED
