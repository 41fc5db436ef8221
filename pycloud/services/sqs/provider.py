"""SQS: one method per operation.

Queue operations (create, URLs, listings, attributes, tags, permissions, dead-letter sources, move
tasks) are methods of this class; message operations come from the ``message_ops`` mixin. Queue
records are control-plane state (``models.py``); messages live in the native queue engine
(``engine.py``). Deliveries from S3 and SNS arrive through :meth:`SqsProvider.consume`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import weakref
from typing import Any

from pycloud._core import QueueError
from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.pagination import decode_token, next_token, paginate
from pycloud.services.sqs import attributes as attrs
from pycloud.services.sqs import authorization, delivery, errors, move_tasks
from pycloud.services.sqs.engine import QueueStore, engine_error, error_entry, now_ms
from pycloud.services.sqs.longpoll import Waiters
from pycloud.services.sqs.message_ops import PURGE_COOLDOWN_SECONDS, MessageOperations
from pycloud.services.sqs.models import CooldownTable, Queue, QueueTable
from pycloud.services.sqs.native_front import NativeFront
from pycloud.services.sqs.urls import QueueRef, parse_queue_arn, parse_queue_url, queue_arn, queue_url, valid_queue_name

log = logging.getLogger(__name__)

MAX_LIST_RESULTS = 1000
DELETE_COOLDOWN_SECONDS = 60
MAX_TAGS = 50
MAX_ACTIONS_PER_STATEMENT = 7
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ACCOUNT_ID = re.compile(r"\d{12}")


def _bad_token() -> ServiceError:
    return errors.invalid_parameter("Invalid NextToken value.")


def _page_size(params: dict[str, Any]) -> int | None:
    size = params.get("MaxResults")
    if size is not None and not 1 <= size <= MAX_LIST_RESULTS:
        raise errors.invalid_value("MaxResults", size, "MaxResults must be an integer between 1 and 1000.")
    return size


class SqsProvider(MessageOperations, Provider):
    """Amazon Simple Queue Service."""

    service = "sqs"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        settings = runtime.settings
        self.queues = QueueTable(runtime.state, self.service)
        self.store = QueueStore(
            settings.data_path if settings is not None else None, settings.fsync if settings is not None else "batch"
        )
        self.waiters = Waiters()
        now = runtime.clock.now()
        self.moves = move_tasks.MoveTasks(runtime.state, self.service, now_ms(now))
        self._deleted = CooldownTable(runtime.state, self.service, "deleted-queue", DELETE_COOLDOWN_SECONDS)
        """Queue names deleted less than 60 seconds ago (QueueDeletedRecently)."""
        self._purged = CooldownTable(runtime.state, self.service, "purge", PURGE_COOLDOWN_SECONDS)
        """Queues purged less than 60 seconds ago (PurgeQueueInProgress)."""
        self._deleted.settle(now.timestamp())
        self._purged.settle(now.timestamp())
        self._reconcile()
        self.front: NativeFront | None = None
        if settings is None or settings.native_front:
            self.front = NativeFront(self)
            runtime.native_front = self.front.answer
        ref = weakref.ref(self)
        runtime.clock.on_advance(lambda _offset: (p := ref()) is not None and p._clock_advanced())

    def _reconcile(self) -> None:
        """Make the engine hold exactly the recorded queues (a crash may have come between the two)."""
        known = set()
        for _, _, _, queue in self.queues:
            self.store.ensure(queue, self._dead_letter_of(queue))
            known.add(queue.engine_name)
        for name in self.store.engine.queue_names():
            if name not in known:
                self.store.engine.delete_queue(name)

    def reset(self) -> None:
        if self.front is not None:
            self.front.reset()
        self.queues.clear()
        self.store.wipe()
        self.moves.clear()
        self._deleted.clear()
        self._purged.clear()
        self.waiters.notify_all()

    def admin_request(self, method: str, path: str) -> tuple[int, str, bytes] | None:
        """``GET /_pycloud/sqs/native-front``: whether the native front is on, the requests it
        answered and handed to the request road, and the keys and queue URLs it serves."""
        if path != "native-front" or method != "GET":
            return None
        stats = {"enabled": False} if self.front is None else {"enabled": True, **self.front.stats}
        return 200, "application/json", json.dumps(stats).encode()

    def _clock_advanced(self) -> None:
        """Delays, visibility timeouts and cooldowns may have run out, move tasks may be due."""
        now = self.runtime.clock.now()
        # Dropped now, not on a restart: the restarted clock would be back at real time and a
        # cooldown that ran out on the advanced clock would start over.
        self._deleted.prune(now.timestamp())
        self._purged.prune(now.timestamp())
        self._advance_moves(now_ms(now))
        self.waiters.notify_all()

    # -- lookups --------------------------------------------------------------------------------

    def _lookup(self, ref: QueueRef) -> Queue | None:
        return self.queues.get(ref.account, ref.region, ref.name)

    def _queue(self, ctx: RequestContext, url: str) -> Queue:
        """The queue a QueueUrl names, once the caller is authorized for the request's operation."""
        queue = self._lookup(parse_queue_url(url, ctx.region))
        if queue is None:
            raise errors.queue_does_not_exist()
        authorization.authorize(queue, ctx)
        if self.front is not None:
            self.front.learn(ctx, url, queue)
        if self.moves.running:
            # Lazily on every lookup, so on the message path: progress is not written here, only an end.
            self._advance_moves(now_ms(ctx.now), persist=False)
        return queue

    def _by_arn(self, arn: str | None) -> Queue | None:
        ref = parse_queue_arn(arn or "")
        return self._lookup(ref) if ref is not None else None

    def _dead_letter_of(self, queue: Queue) -> Queue | None:
        """The existing queue ``queue``'s RedrivePolicy targets, or None."""
        redrive = queue.attributes.get("RedrivePolicy")
        return self._by_arn(attrs.parse_redrive_policy(redrive).target_arn) if redrive else None

    def _sources_of(self, queue: Queue) -> list[Queue]:
        """The queues whose RedrivePolicy targets ``queue`` (its dead-letter sources)."""
        found = []
        for candidate in self.queues.values(queue.account_id, queue.region):
            redrive = candidate.attributes.get("RedrivePolicy")
            if redrive and attrs.parse_redrive_policy(redrive).target_arn == queue.arn:
                found.append(candidate)
        return found

    def _url(self, ctx: RequestContext, queue: Queue) -> str:
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        if not host:
            settings = self.runtime.settings
            host = f"{settings.host}:{settings.port}" if settings is not None else "localhost"
        return queue_url(host, queue.account_id, queue.name)

    @staticmethod
    def _require_signed(ctx: RequestContext, action: str, name: str = "*") -> None:
        """Account-level operations (CreateQueue, ListQueues) need a signed caller."""
        if ctx.principal.kind == "anonymous":
            raise errors.access_denied("", action, queue_arn(ctx.region, ctx.account_id, name))

    def _save(self, queue: Queue) -> None:
        self.queues.put(queue.account_id, queue.region, queue.name, queue)
        if self.front is not None:
            self.front.forget_queues()

    def _check_redrive(self, queue_account: str, region: str, name: str, fifo: bool, values: dict[str, str]) -> None:
        """A RedrivePolicy must name an existing queue of the same type that lets this queue use it."""
        redrive = values.get("RedrivePolicy")
        if not redrive:
            return
        target_arn = attrs.parse_redrive_policy(redrive).target_arn
        target = self._by_arn(target_arn)
        if target is None or target.account_id != queue_account or target.region != region:
            raise errors.invalid_value("RedrivePolicy", redrive, "Dead letter target does not exist.")
        if target.fifo != fifo:
            raise errors.invalid_value("RedrivePolicy", redrive,
                                       "Dead-letter queue must be same type of queue as the source.")
        source_arn = queue_arn(region, queue_account, name)
        if not attrs.redrive_allows(target.attributes.get("RedriveAllowPolicy"), source_arn):
            raise errors.invalid_value(
                "RedrivePolicy", redrive,
                f"Queue {target_arn} does not allow this queue to use it as a dead-letter queue.",
            )

    def _configure(self, queue: Queue) -> None:
        """Push a queue's settings to the engine, and those of its dead-letter sources (their
        target may just have appeared)."""
        self.store.ensure(queue, self._dead_letter_of(queue))
        for source in self._sources_of(queue):
            self.store.configure(source, queue)

    # -- queues ---------------------------------------------------------------------------------

    def create_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Create a queue, or answer the URL of an identical one (QueueNameExists when attributes differ)."""
        name = params["QueueName"]
        self._require_signed(ctx, "sqs:CreateQueue", name)
        given = params.get("Attributes") or {}
        fifo = str(given.get("FifoQueue", "")).strip().lower() == "true"
        if not valid_queue_name(name, fifo):
            if fifo or name.endswith(".fifo"):
                raise errors.invalid_parameter(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                    "must end with .fifo suffix and be 1 to 80 in length."
                )
            raise errors.invalid_parameter(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        requested = attrs.validate(given, fifo=fifo, creating=True)
        tags = _check_tags(params.get("tags") or {}, {}, name)
        existing = self.queues.get(ctx.account_id, ctx.region, name)
        if existing is not None:
            different = attrs.differing(requested, existing.values())
            if different is not None:
                raise errors.sqs_error(
                    "QueueNameExists",
                    f"A queue already exists with the same name and a different value for attribute {different}",
                )
            return {"QueueUrl": self._url(ctx, existing)}
        if self._deleted.running(ctx.account_id, ctx.region, name, ctx.now.timestamp()):
            raise errors.sqs_error(
                "QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            )
        stored = attrs.merge({}, requested, fifo=fifo)
        self._check_redrive(ctx.account_id, ctx.region, name, fifo, stored)
        queue = Queue(name, ctx.account_id, ctx.region, ctx.now, ctx.now, fifo=fifo, attributes=stored, tags=tags)
        self._save(queue)
        self._configure(queue)
        return {"QueueUrl": self._url(ctx, queue)}

    def get_queue_url(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The URL of a queue by name, in the caller's account or ``QueueOwnerAWSAccountId``'s."""
        owner = params.get("QueueOwnerAWSAccountId") or ctx.account_id
        queue = self.queues.get(owner, ctx.region, params["QueueName"])
        if queue is None:
            raise errors.queue_does_not_exist()
        authorization.authorize(queue, ctx)
        return {"QueueUrl": self._url(ctx, queue)}

    def list_queues(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The caller's queues in the region, by name prefix; paginated only when MaxResults is given."""
        self._require_signed(ctx, "sqs:ListQueues")
        size = _page_size(params)
        prefix = params.get("QueueNamePrefix") or ""
        after = decode_token(params["NextToken"], "sqs:ListQueues", _bad_token) if params.get("NextToken") else None
        found = [q for q in self.queues.values(ctx.account_id, ctx.region) if q.name.startswith(prefix)]
        page = paginate(found, lambda q: q.name, after, size or MAX_LIST_RESULTS)
        out: dict[str, Any] = {}
        if page.items:
            out["QueueUrls"] = [self._url(ctx, q) for q in page.items]
        if size is not None and page.truncated:
            out["NextToken"] = next_token(page, "sqs:ListQueues")
        return out

    def delete_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete a queue and its messages; its name is reusable 60 seconds later."""
        queue = self._queue(ctx, params["QueueUrl"])
        self.store.drop(queue)
        self.queues.delete(queue.account_id, queue.region, queue.name)
        if self.front is not None:
            self.front.forget_queues()
        self._deleted.begin(queue.account_id, queue.region, queue.name, ctx.now.timestamp())
        self._purged.end(queue.account_id, queue.region, queue.name)
        self.moves.queue_deleted(queue.arn)
        self.waiters.notify(queue.engine_name)
        return {}

    # -- attributes -----------------------------------------------------------------------------

    def get_queue_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The requested attributes (``All`` for every one); unset optional ones are left out."""
        queue = self._queue(ctx, params["QueueUrl"])
        names = attrs.requested_names(params.get("AttributeNames"))
        if not names:
            return {}
        values = queue.values()
        values["QueueArn"] = queue.arn
        values["CreatedTimestamp"] = str(int(queue.created.timestamp()))
        values["LastModifiedTimestamp"] = str(int(queue.last_modified.timestamp()))
        if any(n.startswith("ApproximateNumberOfMessages") for n in names):
            try:
                stats = self.store.engine.stats(queue.engine_name, now_ms(ctx.now))
            except QueueError as exc:
                raise engine_error(exc) from None
            values["ApproximateNumberOfMessages"] = str(stats.visible)
            values["ApproximateNumberOfMessagesNotVisible"] = str(stats.in_flight)
            values["ApproximateNumberOfMessagesDelayed"] = str(stats.delayed)
        out = {name: values[name] for name in names if name in values}
        return {"Attributes": out} if out else {}

    def set_queue_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Change settable attributes (FifoQueue and read-only ones cannot be set)."""
        queue = self._queue(ctx, params["QueueUrl"])
        changes = attrs.validate(params.get("Attributes") or {}, fifo=queue.fifo, creating=False)
        stored = attrs.merge(queue.attributes, changes, fifo=queue.fifo)
        self._check_redrive(queue.account_id, queue.region, queue.name, queue.fifo, stored)
        queue = dataclasses.replace(queue, attributes=stored, last_modified=ctx.now)
        self._save(queue)
        self._configure(queue)
        return {}

    # -- tags -----------------------------------------------------------------------------------

    def tag_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Add or overwrite tags (at most 50 per queue)."""
        queue = self._queue(ctx, params["QueueUrl"])
        tags = _check_tags(params.get("Tags") or {}, queue.tags, queue.name)
        self._save(dataclasses.replace(queue, tags=tags))
        return {}

    def untag_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Remove tags by key (absent keys are ignored)."""
        queue = self._queue(ctx, params["QueueUrl"])
        removed = set(params.get("TagKeys") or [])
        self._save(dataclasses.replace(queue, tags={k: v for k, v in queue.tags.items() if k not in removed}))
        return {}

    def list_queue_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The queue's tags (no ``Tags`` member when there are none)."""
        queue = self._queue(ctx, params["QueueUrl"])
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    # -- permissions ----------------------------------------------------------------------------

    def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Add a policy statement (``Sid`` = Label) allowing accounts the listed actions."""
        queue = self._queue(ctx, params["QueueUrl"])
        label = params["Label"]
        if not _LABEL.fullmatch(label):
            raise errors.invalid_value("Label", label, "Can only include alphanumeric characters, hyphens, or "
                                       "underscores. 1 to 80 in length")
        accounts = params.get("AWSAccountIds") or []
        actions = params.get("Actions") or []
        if not accounts:
            raise errors.missing_parameter("AWSAccountIds")
        if not actions:
            raise errors.missing_parameter("Actions")
        for account in accounts:
            if not _ACCOUNT_ID.fullmatch(account):
                raise errors.invalid_value("PrincipalId", account, "Unable to verify.")
        for action in actions:
            if action not in authorization.GRANTABLE:
                raise errors.invalid_value(
                    "ActionName", f"SQS:{action}", "Please refer to the appropriate WSDL for a list of valid actions."
                )
        if len(actions) > MAX_ACTIONS_PER_STATEMENT:
            raise errors.sqs_error(
                "OverLimit", f"{len(actions)} Actions were found, maximum allowed is {MAX_ACTIONS_PER_STATEMENT}."
            )
        document = json.loads(queue.policy) if queue.policy else {
            "Version": "2012-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy", "Statement": [],
        }
        statements = document.setdefault("Statement", [])
        if isinstance(statements, dict):
            statements = document["Statement"] = [statements]
        if any(isinstance(s, dict) and s.get("Sid") == label for s in statements):
            raise errors.invalid_value("Label", label, "Already exists.")
        principals = [f"arn:aws:iam::{account}:root" for account in accounts]
        granted = [f"SQS:{action}" for action in actions]
        statements.append({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": granted[0] if len(granted) == 1 else granted,
            "Resource": queue.arn,
        })
        self._set_policy(queue, ctx, document)
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Remove the statement AddPermission added under ``Label``."""
        queue = self._queue(ctx, params["QueueUrl"])
        label = params["Label"]
        document = json.loads(queue.policy) if queue.policy else {}
        statements = document.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]
        kept = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == label)]
        if len(kept) == len(statements):
            raise errors.invalid_value("Label", label, "can't find label.")
        document["Statement"] = kept
        self._set_policy(queue, ctx, document if kept else None)
        return {}

    def _set_policy(self, queue: Queue, ctx: RequestContext, document: dict[str, Any] | None) -> None:
        stored = dict(queue.attributes)
        if document is None:
            stored.pop("Policy", None)
        else:
            stored["Policy"] = attrs.validate_policy(json.dumps(document, separators=(",", ":")))
        self._save(dataclasses.replace(queue, attributes=stored, last_modified=ctx.now))

    # -- dead-letter queues ---------------------------------------------------------------------

    def list_dead_letter_source_queues(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The queues whose RedrivePolicy names this queue."""
        queue = self._queue(ctx, params["QueueUrl"])
        size = _page_size(params)
        scope = "sqs:ListDeadLetterSourceQueues"
        after = decode_token(params["NextToken"], scope, _bad_token) if params.get("NextToken") else None
        page = paginate(self._sources_of(queue), lambda q: q.name, after, size or MAX_LIST_RESULTS)
        out: dict[str, Any] = {"queueUrls": [self._url(ctx, q) for q in page.items]}
        if size is not None and page.truncated:
            out["NextToken"] = next_token(page, scope)
        return out

    # -- message move tasks ---------------------------------------------------------------------

    def _task_queue(self, ctx: RequestContext, arn: str | None, member: str, operation: str) -> Queue:
        queue = self._by_arn(arn)
        if queue is None:
            raise errors.sqs_error(
                "ResourceNotFoundException", f"The resource that you specified for the {member} parameter doesn't exist."
            )
        authorization.authorize(queue, ctx, operation)
        return queue

    def _advance_moves(self, now: int, *, persist: bool = True) -> None:
        """Move what running tasks are due to have moved by ``now`` (``persist``: see MoveTasks.advance)."""

        def mover(task: move_tasks.MoveTask, count: int) -> int:
            # DeleteQueue fails the tasks of the queue it deletes; a queue found missing here all
            # the same (or an engine failure) fails the task rather than the request advancing it.
            source = self._by_arn(task.source_arn)
            target = self._by_arn(task.destination_arn) if task.destination_arn else None
            if source is None or (task.destination_arn and target is None):
                raise move_tasks.MoveFailed(move_tasks.QUEUE_DELETED)
            try:
                # Without a destination each message goes back to the queue it was dead-lettered
                # from (the engine recorded it); those whose queue is gone stay, uncounted.
                moved = self.store.engine.move_messages(
                    source.engine_name, target.engine_name if target is not None else None, count, now
                )
            except QueueError as exc:
                code = getattr(exc, "code", "")
                log.warning("message move task from %s failed: %s", task.source_arn, exc)
                if code == "NoSuchQueue":
                    raise move_tasks.MoveFailed(move_tasks.QUEUE_DELETED) from None
                raise move_tasks.MoveFailed(errors.query_code(error_entry(code)[0])) from None
            if moved:
                if target is not None:
                    self.waiters.notify(target.engine_name)
                else:
                    self.waiters.notify_all()
            return moved

        self.moves.advance(now, mover, persist=persist)

    def start_message_move_task(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Start moving a dead-letter queue's messages to DestinationArn (or back to their sources)."""
        source = self._task_queue(ctx, params.get("SourceArn"), "SourceArn", "StartMessageMoveTask")
        if not any(s.account_id == source.account_id for s in self._sources_of(source)):
            raise errors.invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = params.get("DestinationArn") or None
        if destination_arn is not None:
            destination = self._task_queue(ctx, destination_arn, "DestinationArn", "SendMessage")
            if destination.arn == source.arn:
                raise errors.invalid_parameter("Source queue arn and destination queue arn cannot be the same.")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= move_tasks.MAX_RATE:
            raise errors.invalid_value("MaxNumberOfMessagesPerSecond", rate,
                                       f"Must be between 1 and {move_tasks.MAX_RATE}, if provided.")
        now = now_ms(ctx.now)
        self._advance_moves(now)  # a task that has just run out no longer blocks a new one
        try:
            visible = self.store.engine.stats(source.engine_name, now).visible
        except QueueError as exc:
            raise engine_error(exc) from None
        task = self.moves.start(source.arn, destination_arn, rate, now, visible)
        return {"TaskHandle": task.handle}

    def cancel_message_move_task(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Stop a running task; what it moved stays moved."""
        task = self.moves.find(params["TaskHandle"])
        if task is None:
            raise errors.sqs_error("ResourceNotFoundException", "Task does not exist.")
        self._task_queue(ctx, task.source_arn, "SourceArn", "CancelMessageMoveTask")
        self._advance_moves(now_ms(ctx.now))
        if task.status != move_tasks.RUNNING:
            raise errors.sqs_error("UnsupportedOperation", "Only active tasks can be cancelled.")
        self.moves.cancel(task)
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    def list_message_move_tasks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A source queue's most recent tasks (``MaxResults``, default 1, up to 10), newest first."""
        source = self._task_queue(ctx, params.get("SourceArn"), "SourceArn", "ListMessageMoveTasks")
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 10:
            raise errors.invalid_value("MaxResults", limit, "Must be between 1 and 10, if provided.")
        self._advance_moves(now_ms(ctx.now))
        return {"Results": [task.entry() for task in self.moves.recent(source.arn, limit or 1)]}

    # -- deliveries from other services ---------------------------------------------------------

    def consume(self, topic: str, event: Any) -> None:
        """Enqueue a message another service delivers on the bus (S3 notification, SNS)."""
        item = delivery.delivery_of(topic, event)
        if item is None:
            return
        queue = self._by_arn(item.queue_arn)
        now = self.runtime.clock.now()
        if queue is None:
            delivery.acknowledge(item, errors.query_code("QueueDoesNotExist"))
            return
        if not authorization.service_may_send(queue, item.service, item.source_arn, item.source_account, now):
            log.info("queue policy of %s refuses %s deliveries from %s", queue.arn, item.service, item.source_arn)
            delivery.acknowledge(item, "AccessDenied")
            return
        try:
            message = self.prepare(queue, item.params, delivery.service_sender_id(item.service))
            self.enqueue(queue, message, now_ms(now))
        except ServiceError as err:
            log.info("delivery to %s refused: %s", queue.arn, err)
            delivery.acknowledge(item, errors.query_code(err.code))
            return
        delivery.acknowledge(item, None)


def _check_tags(new: dict[str, str], current: dict[str, str], queue_name: str) -> dict[str, str]:
    """The queue's tags after adding ``new``: keys 1-128 characters not starting with ``aws:``,
    values up to 256, at most 50 tags."""
    for key, value in new.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise errors.invalid_parameter(f"Tag key {key!r} is invalid: 1 to 128 characters, not starting with aws:.")
        if len(value or "") > 256:
            raise errors.invalid_parameter(f"Tag value for key {key!r} is longer than 256 characters.")
    merged = {**current, **{k: v or "" for k, v in new.items()}}
    if len(merged) > MAX_TAGS:
        raise errors.invalid_parameter(f"Too many tags added for queue {queue_name}.")
    return merged
