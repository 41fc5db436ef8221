"""The base every service provider derives from, and what providers get from the runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pycloud.clock import Clock
    from pycloud.events import EventBus
    from pycloud.iam.credentials import CredentialStore
    from pycloud.iam.directory import PolicyDirectory
    from pycloud.state.store import StateStore


@dataclass
class ServiceRuntime:
    """Shared mechanisms handed to every provider: clock, state, event bus, credentials, settings,
    the policy directory."""

    clock: Clock
    state: StateStore
    events: EventBus
    credentials: CredentialStore
    settings: Any = None
    policies: PolicyDirectory | None = None
    """Where authorization finds IAM/STS/Organizations policies; providers that change any of
    them call ``policies.bump()``."""
    authorizer: Any = None
    """The ``pycloud.iam.enforce.Authorizer`` deciding requests with those policies."""
    native_front: Any = None
    """``answer(data, remote_addr) -> bytes | False | None``: a native answer to the request a
    connection has just read, False for the start of one worth waiting for, None for the request
    road (set by the SQS provider, see ``sqs/native_front.py``)."""


class Provider:
    """A service implementation: one method per AWS operation, named in snake_case.

    ``ListBuckets`` is ``list_buckets(self, ctx, params) -> dict``: ``params`` is the parsed,
    validated input (member names as in botocore's model), the returned dict is the output shape.
    A method may be ``async``. Errors are raised as ``pycloud.protocol.errors.ServiceError``.
    """

    service: ClassVar[str]
    """botocore's name for the service (its data directory name: ``s3``, ``cloudwatch``...)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    def reset(self) -> None:
        """Forget all state (admin reset). Providers with in-memory state override this."""
