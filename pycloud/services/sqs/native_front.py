"""The native SQS front: SendMessage(Batch), ReceiveMessage and DeleteMessage(Batch) answered in C++.

A load test's requests repeat one caller on a few queues, and the request road has already decided
everything about them once. After the road has authorized a request on a queue, :meth:`learn`
tells ``pycloud._core.SqsFront`` the caller's key and the queue URL — but only when nothing but a
resource policy could refuse that caller (an account's root outside any organization's SCPs), the
caller is in the queue's account and the queue has no policy. From then on the
HTTP connection hands each request it reads whole to :meth:`answer` first; the front verifies its
SigV4 signature, parses its JSON, calls the queue engine and writes the response, or declines
without having changed anything and the request takes the road as before (errors, long polls
that must wait, anything unusual).

What the front holds is dropped when what it was derived from changes: keys and policies (the
credential store's version and the policy directory's generation, compared on every call), any
queue record (created, changed, deleted, reset) and running message move tasks (which the road
advances on every message operation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pycloud._core import SqsFront
from pycloud.events import AUDIT_TOPIC, AuditRecord
from pycloud.iam.arn import root_arn
from pycloud.services.sts.provider import caller_user_id

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.sqs.models import Queue
    from pycloud.services.sqs.provider import SqsProvider

# Operations whose queue lookups teach the front (the ones it answers).
SERVED = frozenset({"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch"})


class NativeFront:
    """The SQS provider's native front: what it may serve, and the answers it gives."""

    def __init__(self, provider: SqsProvider) -> None:
        runtime = provider.runtime
        self._provider = provider
        self._front = SqsFront(provider.store.engine)
        self._clock = runtime.clock
        self._credentials = runtime.credentials
        self._policies = runtime.policies
        self._events = runtime.events
        self._waiters = provider.waiters
        self._strict = bool(runtime.settings.strict) if runtime.settings is not None else False
        self._version = self._current_version()
        self._learned: set[tuple[str, str, str]] = set()

    def _current_version(self) -> tuple[int, int]:
        policies = self._policies.generation if self._policies is not None else 0
        return (policies, self._credentials.version)

    # -- the connection's side ---------------------------------------------------------------------

    def answer(self, data: bytes, remote_addr: str) -> bytes | bool | None:
        """The HTTP response to the request that is all of ``data``; None: the request road's;
        False: the start of a request the front may answer (call again with more of it)."""
        if self._provider.moves.running:
            return None
        version = self._current_version()
        if version != self._version:
            self._forget_credentials(version)
        clock = self._clock
        answered = self._front.handle(data, clock.time(), clock.offset_seconds == 0)
        if answered is None or answered is False:
            return answered  # the road's, or not all there yet
        response, notify = answered
        if notify is not None:
            self._waiters.notify(notify)
        if self._events.has_subscribers(AUDIT_TOPIC):
            self._audit(remote_addr)
        return response

    def _audit(self, remote_addr: str) -> None:
        operation, access_key, account, region, request_id = self._front.last_answer()
        self._events.publish(
            AUDIT_TOPIC,
            AuditRecord(
                time=self._clock.now(),
                request_id=request_id,
                account_id=account,
                region=region,
                principal_arn=root_arn(account),
                access_key=access_key,
                service="sqs",
                operation=operation,
                source_ip=remote_addr,
                status=200,
                error_code=None,
                duration_ms=0.0,
            ),
        )

    # -- the request road's side -------------------------------------------------------------------

    def learn(self, ctx: RequestContext, url: str, queue: Queue) -> None:
        """Remember ``ctx``'s caller and ``url`` if the front may serve them (see the module doc)."""
        principal = ctx.principal
        if (principal.kind != "root" or principal.account_id != queue.account_id or ctx.operation not in SERVED
                or ctx.protocol != "json" or queue.policy):
            return
        version = self._current_version()
        if version != self._version:
            self._forget_credentials(version)
        seen = (url, ctx.region, principal.access_key)
        if seen in self._learned:
            return
        authorizer = ctx.authorizer
        if authorizer is not None and not authorizer.unbound(principal):
            return
        if self._provider.moves.running:
            return
        request = ctx.request
        if request is None or "x-amz-security-token" in request.headers:
            return
        access_key = principal.access_key
        credential = self._credentials.get(access_key)
        if credential is None:
            if self._strict:
                return
            secret, verify = "", False  # unknown keys sign for the default account, unchecked
        elif credential.kind != "root" or credential.session_token is not None or not credential.active:
            return
        else:
            secret, verify = credential.secret_key, credential.verified
        self._front.set_credential(access_key, secret, principal.account_id, caller_user_id(principal), verify)
        settings = queue.settings
        dead_letter = self._provider._dead_letter_of(queue)
        self._front.set_queue(
            url,
            ctx.region,
            queue.engine_name,
            queue.account_id,
            int(settings["MaximumMessageSize"]),
            int(settings["ReceiveMessageWaitTimeSeconds"]),
            dead_letter.engine_name if dead_letter is not None else "",
            queue.fifo,
            settings.get("ContentBasedDeduplication") == "true",
        )
        self._learned.add(seen)

    def _forget_credentials(self, version: tuple[int, int]) -> None:
        self._front.clear_credentials()
        self._learned.clear()
        self._version = version

    def forget_queues(self) -> None:
        """A queue record changed (or every one did): serve no queue until the road has seen it again."""
        self._front.clear_queues()
        self._learned.clear()

    def reset(self) -> None:
        """Forget everything (admin reset)."""
        self._front.clear_queues()
        self._front.clear_credentials()
        self._learned.clear()

    @property
    def stats(self) -> dict[str, Any]:
        """Requests answered natively and handed to the road, and what the front holds."""
        return {**self._front.stats, "credentials": self._front.credential_count, "queues": self._front.queue_count}
