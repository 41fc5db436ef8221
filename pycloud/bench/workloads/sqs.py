"""SQS workloads (JSON protocol): send and send-batch (replayable); receive+delete and end-to-end
latency (dynamic). Each run works on a queue of its own, deleted at teardown."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pycloud.bench.client import TransportError
from pycloud.bench.lanes import Lane
from pycloud.bench.session import Session, error_code
from pycloud.bench.signing import Signer
from pycloud.bench.workloads import register
from pycloud.bench.workloads.base import Option, Workload, invocation_id, parse_sizes, payload, weighted_sequence

_JSON = "application/x-amz-json-1.0"
MAX_MESSAGE = 1 << 20


def _message_sizes(text: str) -> list[tuple[int, float]]:
    sizes = parse_sizes(text)
    from pycloud.bench.workloads.base import SpecError

    for size, _ in sizes:
        if not 1 <= size <= MAX_MESSAGE:
            raise SpecError(f"--size {text}: SQS message bodies are 1 byte to 1MiB")
    return sizes


class SqsWorkload(Workload):
    """Shared SQS plumbing: the queue and JSON calls."""

    service = "sqs"
    options = (Option("size", _message_sizes, "256B", "message body size or distribution (SQS: 1B-1MiB)"),)

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self.queue_name = self.resource_name()
        self.queue_url = ""

    def resources(self) -> list[str]:
        return [f"SQS queue {self.queue_name} (and its messages)"]

    @staticmethod
    def headers(action: str) -> dict[str, str]:
        return {"Content-Type": _JSON, "X-Amz-Target": f"AmazonSQS.{action}",
                "amz-sdk-invocation-id": invocation_id()}

    def call(self, session: Session, action: str, params: dict[str, Any], ok: bool = False) -> dict[str, Any]:
        """One JSON call; a failure raises BenchError (setup/teardown) unless ``ok``."""
        body = json.dumps(params).encode()
        response = session.call(action, "sqs", "POST", "/", "", self.headers(action), body,
                                ok=(400,) if ok else ())
        return json.loads(response.body) if response.body[:1] == b"{" else {}

    def setup(self, session: Session) -> None:
        super().setup(session)
        self.queue_url = self.call(session, "CreateQueue", {"QueueName": self.queue_name})["QueueUrl"]

    def teardown(self, session: Session) -> None:
        if self.queue_url:
            self.call(session, "DeleteQueue", {"QueueUrl": self.queue_url}, ok=True)

    def signed(self, action: str, params: dict[str, Any]) -> bytes:
        """A signed request for ``action`` (for replay)."""
        signer = getattr(self, "_signer", None)
        if signer is None:
            c = self.credentials
            signer = self._signer = Signer(c.access_key, c.secret_key, c.region, "sqs", c.session_token)
        return signer.http_request("POST", self.url + "/", self.headers(action), json.dumps(params).encode())

    def bodies(self, count: int, seed: int) -> list[str]:
        """``count`` message bodies following --size, each starting with its sequence number."""
        sizes = weighted_sequence(self.settings["size"], count, seed=seed)
        blocks: dict[int, str] = {}
        out = []
        for i, size in enumerate(sizes):
            block = blocks.get(size)
            if block is None:
                block = blocks[size] = payload(size).decode()
            tag = f"{i}:"
            out.append((tag + block[len(tag):]) if size > len(tag) else block)
        return out

    def send_batch(self, session: Session, bodies: list[str]) -> None:
        """SendMessageBatch of up to 10 bodies (used to pre-fill and refill)."""
        entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
        self.call(session, "SendMessageBatch", {"QueueUrl": self.queue_url, "Entries": entries})

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_signer", None)
        return state


@register
class SqsSend(SqsWorkload):
    name = "sqs-send"
    help = "SendMessage of --size bodies"

    def replay_requests(self, count: int) -> list[bytes]:
        return [self.signed("SendMessage", {"QueueUrl": self.queue_url, "MessageBody": body})
                for body in self.bodies(count, seed=1)]


@register
class SqsSendBatch(SqsWorkload):
    name = "sqs-send-batch"
    help = "SendMessageBatch of 10 --size bodies (one op per batch)"

    def request_bytes_estimate(self) -> int:
        return 10 * super().request_bytes_estimate()

    def replay_requests(self, count: int) -> list[bytes]:
        bodies = self.bodies(10 * count, seed=2)
        return [
            self.signed("SendMessageBatch", {"QueueUrl": self.queue_url, "Entries": [
                {"Id": str(j), "MessageBody": bodies[10 * i + j]} for j in range(10)]})
            for i in range(count)
        ]


def _receive_params(queue_url: str, wait: int) -> dict[str, Any]:
    return {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": wait}


def _delete_params(queue_url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"QueueUrl": queue_url, "Entries": [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]}


def _post(session: Session, workload: SqsWorkload, action: str, params: dict[str, Any]) -> tuple[int, dict, int, str]:
    """One call from a run loop: (status, decoded answer, wire bytes, error code or "")."""
    raw = workload.signed(action, params)
    response = session.conn.request(raw)
    wire = len(raw) + response.wire_bytes
    if response.status != 200:
        return response.status, {}, wire, error_code(response)
    return response.status, json.loads(response.body) if response.body else {}, wire, ""


@register
class SqsReceive(SqsWorkload):
    name = "sqs-receive"
    help = "ReceiveMessage(10) + DeleteMessageBatch over a pre-filled queue (one op per pair)"
    replayable = False
    options = (
        SqsWorkload.options[0],
        # Enough for 30,000 full pairs: a drained queue is topped up 10 at a time, which mixes sends
        # into what is measured. A slow endpoint gets what --prefill-seconds allow.
        Option("prefill", lambda t: max(0, int(t)), "300000", "sqs-receive messages sent before the run"),
        Option("prefill-seconds", lambda t: max(1.0, float(t)), "30",
               "sqs-receive: stop pre-filling after this many seconds"),
    )

    def setup(self, session: Session) -> None:
        super().setup(session)
        total = self.settings["prefill"]
        if self.replay_count:
            total = min(total, 10 * self.replay_count)
        bodies = self.bodies(total, seed=4)
        batches = [bodies[i:i + 10] for i in range(0, len(bodies), 10)]
        sessions = [self.session() for _ in range(8)]

        deadline = time.monotonic() + self.settings["prefill_seconds"]

        def fill(index: int) -> None:
            for batch in batches[index::len(sessions)]:
                if time.monotonic() > deadline:
                    return
                self.send_batch(sessions[index], batch)

        try:
            with ThreadPoolExecutor(len(sessions)) as pool:
                list(pool.map(fill, range(len(sessions))))
        finally:
            for s in sessions:
                s.close()

    def run_dynamic(self, session: Session, lane: Lane) -> None:
        refill = self.bodies(10, seed=lane.index)
        while lane.take():
            start = time.perf_counter_ns()
            try:
                status, answer, wire, code = _post(session, self, "ReceiveMessage", _receive_params(self.queue_url, 0))
                if code:
                    lane.error(code, wire)
                    continue
                messages = answer.get("Messages") or []
                if not messages:  # drained: top the queue up (not measured) and try again
                    lane.give_back()
                    self.send_batch(session, refill)
                    continue
                status, answer, more, code = _post(session, self, "DeleteMessageBatch",
                                                   _delete_params(self.queue_url, messages))
                if code or answer.get("Failed"):
                    lane.error(code or answer["Failed"][0].get("Code", "DeleteFailed"), wire + more)
                    continue
                lane.record(time.perf_counter_ns() - start, wire + more)
            except TransportError as exc:
                lane.error(exc.code)


@register
class SqsEndToEnd(SqsWorkload):
    name = "sqs-e2e"
    help = "end-to-end latency: producers send timestamped messages, consumers receive+delete them"
    replayable = False

    def run_dynamic(self, session: Session, lane: Lane) -> None:
        run = lane.run
        with run.lock:  # counted up front, so no consumer sees "no producers left" before they start
            run.scratch.setdefault("producers", (lane.lanes + 1) // 2)
        producer = lane.index % 2 == 0
        if producer:
            try:
                self._produce(session, lane)
            finally:
                with run.lock:
                    run.scratch["producers"] -= 1
        if not producer or lane.lanes == 1:
            self._consume(session, lane)

    def _produce(self, session: Session, lane: Lane) -> None:
        pad = self.bodies(1, seed=lane.index)[0]
        while lane.take():
            body = f"{time.time_ns()}:{pad}"
            try:
                _status, _answer, _wire, code = _post(session, self, "SendMessage",
                                                      {"QueueUrl": self.queue_url, "MessageBody": body})
            except TransportError as exc:
                lane.error(exc.code)
                continue
            if code:
                lane.error(code)

    def _consume(self, session: Session, lane: Lane) -> None:
        run = lane.run
        hard_stop = time.monotonic() + 3600
        while time.monotonic() < hard_stop:
            try:
                _s, answer, wire, code = _post(session, self, "ReceiveMessage", _receive_params(self.queue_url, 1))
            except TransportError as exc:
                lane.error(exc.code)
                continue
            now = time.time_ns()
            if code:
                lane.error(code, wire)
                if run.scratch.get("producers", 0) == 0:
                    return
                continue
            messages = answer.get("Messages") or []
            for message in messages:
                sent, _, _rest = message.get("Body", "").partition(":")
                if sent.isdigit():
                    lane.record(now - int(sent), wire // len(messages))
            if messages:
                try:
                    _post(session, self, "DeleteMessageBatch", _delete_params(self.queue_url, messages))
                except TransportError as exc:
                    lane.error(exc.code)
            elif run.scratch.get("producers", 0) == 0:
                return  # producers are done and the queue is drained
            if run.scratch.get("producers", 0) == 0 and hard_stop > time.monotonic() + 5:
                hard_stop = time.monotonic() + 5  # drain for a few seconds at most
