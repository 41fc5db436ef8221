"""Assembles a running pycloud: runtime (clock, state, bus, credentials), dispatcher, HTTP server."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pycloud.clock import clock as process_clock
from pycloud.config import Settings
from pycloud.events import EventBus
from pycloud.gateway.admin import ACCOUNT_RECORD, AdminApi
from pycloud.gateway.dispatcher import Dispatcher
from pycloud.gateway.server import HttpServer
from pycloud.iam.credentials import CredentialStore
from pycloud.iam.directory import PolicyDirectory
from pycloud.services.base import ServiceRuntime
from pycloud.services.registry import PROVIDERS, parse_overrides, subscribe_consumers
from pycloud.state.store import StateStore

if TYPE_CHECKING:
    from pycloud.ebs.nbd import NbdServer  # imported at run time only when NBD is on

log = logging.getLogger("pycloud")


class StartupError(Exception):
    """pycloud cannot start (port taken, data dir unusable...): the message says why."""


@dataclass
class App:
    """A built (not yet listening) pycloud."""

    settings: Settings
    runtime: ServiceRuntime
    dispatcher: Dispatcher


def build_app(settings: Settings) -> App:
    """Open state and wire the runtime, dispatcher and admin API together."""
    try:
        state = StateStore.open(settings.data_path)
    except Exception as exc:  # StateError and OS errors alike: report, don't trace
        raise StartupError(f"cannot use data dir {settings.data_dir!r}: {exc}") from None
    credentials = CredentialStore(settings.default_account, settings.access_key, settings.secret_key)
    for spec in settings.accounts:
        credentials.add_account(spec.id, spec.access_key, spec.secret_key, spec.name)
    for record in state.load(*ACCOUNT_RECORD):
        data = record.record
        credentials.add_account(data["id"], data["access_key"], data["secret_key"], data.get("name", ""))
    policies = PolicyDirectory()
    runtime = ServiceRuntime(
        clock=process_clock, state=state, events=EventBus(), credentials=credentials, settings=settings, policies=policies
    )
    dispatcher = Dispatcher(runtime, settings)
    policies.attach(dispatcher.provider)
    credentials.add_resolver(policies.resolve_credential)  # IAM/STS keys kept as records
    dispatcher.admin = AdminApi(dispatcher, sorted(set(PROVIDERS) | set(parse_overrides(settings.providers))))
    subscribe_consumers(runtime.events, dispatcher.provider)  # deliveries (S3 → SQS...) work from the start
    return App(settings, runtime, dispatcher)


async def run(app: App, ready: asyncio.Event | None = None) -> None:
    """Listen and serve until SIGTERM/SIGINT, then shut down gracefully."""
    settings = app.settings
    server = HttpServer(
        app.dispatcher.handle,
        native=app.dispatcher.native_answer,
        max_header_bytes=settings.max_header_bytes,
        idle_timeout=settings.idle_timeout,
        header_timeout=settings.header_timeout,
    )
    try:
        port = await server.start(settings.host, settings.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {settings.port} on {settings.host} is already in use") from None
        raise StartupError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from None
    try:
        nbd = _start_nbd(app) if settings.nbd_port >= 0 else None
    except StartupError:
        await server.shutdown(0)
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    where = "in memory" if settings.ephemeral else f"in {settings.data_dir}"
    extra = f"; NBD on nbd://127.0.0.1:{nbd.port}" if nbd is not None else ""
    print(f"pycloud listening on http://{settings.host}:{port} (state {where}{extra})", flush=True)
    if ready is not None:
        ready.set()
    await stop.wait()
    if nbd is not None:
        await loop.run_in_executor(None, nbd.stop, settings.shutdown_grace)
    await server.shutdown(settings.shutdown_grace)
    from pycloud.ebs.runtime import EbsRuntime

    EbsRuntime.close_of(app.runtime)  # the block store, if EBS was used
    app.runtime.state.close()


def _start_nbd(app: App) -> NbdServer:
    """Start the NBD server on the EBS runtime (``--nbd-port``) and tell the admin API its port."""
    from pycloud.ebs.nbd import NbdServer
    from pycloud.ebs.runtime import EbsRuntime

    try:
        ebs = EbsRuntime.of(app.runtime)
    except Exception as exc:  # BlockStoreError (InUse...) and OS errors alike: report, don't trace
        raise StartupError(f"cannot open the EBS block store: {exc}") from None
    nbd = NbdServer(ebs, app.settings.nbd_port)
    try:
        nbd.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"NBD port {app.settings.nbd_port} on 127.0.0.1 is already in use") from None
        raise StartupError(f"cannot serve NBD on 127.0.0.1:{app.settings.nbd_port}: {exc.strerror}") from None
    app.dispatcher.admin.nbd = nbd
    return nbd


def serve(settings: Settings) -> int:
    """Run the server in this process until it is told to stop; returns the exit status."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # uvloop is unavailable on some platforms; asyncio works, slower
        runner = asyncio.run
    try:
        app = build_app(settings)
        runner(run(app))
    except StartupError as exc:
        print(f"pycloud: {exc}", file=sys.stderr)
        return 1
    return 0
