"""The admin API under ``/_pycloud/`` (JSON in and out), plus moto's ``/moto-api/reset``.

``GET  /_pycloud/health``          version, services, uptime
``POST /_pycloud/reset``           wipe all state (also ``POST /moto-api/reset``)
``GET  /_pycloud/clock``           ``{"now": ISO-8601, "offset_seconds": N}``
``POST /_pycloud/clock/advance``   ``{"seconds": N}`` moves the virtual clock forward
``GET  /_pycloud/accounts``        the known accounts
``POST /_pycloud/accounts``        ``{"id", "access_key", "secret_key", "name"}`` declares an account
``GET  /_pycloud/ebs/nbd``         ``{"enabled", "host", "port"}`` of the NBD server (``--nbd-port``)
``*    /_pycloud/<service>/<path>``  answered by that service's provider when it has an
                                   ``admin_request(method, path)`` hook (e.g. ``GET|DELETE
                                   /_pycloud/sns/outbox``, SNS's signing certificate)
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from pycloud import __version__
from pycloud.config import ConfigError, validate_account_id
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.timestamps import format_iso8601

if TYPE_CHECKING:
    from pycloud.gateway.dispatcher import Dispatcher

ACCOUNT_RECORD = ("pycloud", "account")


def _json(status: int, payload: Any) -> HttpResponse:
    body = json.dumps(payload).encode()
    return HttpResponse(status, [("Content-Type", "application/json")], body)


def _error(status: int, code: str, message: str) -> HttpResponse:
    return _json(status, {"error": code, "message": message})


class AdminApi:
    """Handles admin requests for one running server."""

    def __init__(self, dispatcher: Dispatcher, services: list[str]) -> None:
        self.dispatcher = dispatcher
        self.runtime = dispatcher.runtime
        self.services = services
        self.started = time.monotonic()
        self.nbd: Any = None
        """The running ``pycloud.ebs.nbd.NbdServer`` (set by the app when ``--nbd-port`` is given)."""
        self._routes = {
            ("GET", "/_pycloud/health"): self.health,
            ("POST", "/_pycloud/reset"): self.reset,
            ("POST", "/moto-api/reset"): self.reset,
            ("GET", "/_pycloud/clock"): self.get_clock,
            ("POST", "/_pycloud/clock/advance"): self.advance_clock,
            ("GET", "/_pycloud/accounts"): self.list_accounts,
            ("POST", "/_pycloud/accounts"): self.create_account,
            ("GET", "/_pycloud/ebs/nbd"): self.nbd_info,
        }

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer an admin request (JSON errors for bad paths and bodies)."""
        handler = self._routes.get((request.method, request.path.rstrip("/") or "/"))
        if handler is None:
            answer = self._service_hook(request)
            if answer is not None:
                return answer
            known = any(path == request.path.rstrip("/") for _, path in self._routes)
            if known:
                return _error(405, "MethodNotAllowed", f"{request.method} is not allowed on {request.path}")
            return _error(404, "NotFound", f"no admin resource at {request.path}")
        body: Any = None
        if request.method == "POST":
            raw = await request.stream.read_all(1024 * 1024) if request.stream is not None else request.body
            if raw.strip():
                try:
                    body = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    return _error(400, "InvalidJSON", "the request body is not valid JSON")
        try:
            return handler(body)
        except _BadRequest as exc:
            return _error(400, "InvalidRequest", str(exc))

    def _service_hook(self, request: HttpRequest) -> HttpResponse | None:
        """A provider's own admin resource (``/_pycloud/<service>/<path>``), if it answers it."""
        service, _, rest = request.path[len("/_pycloud/"):].partition("/")
        if not rest or service not in self.services or not request.path.startswith("/_pycloud/"):
            return None
        hook = getattr(self.dispatcher.provider(service), "admin_request", None)
        answer = hook(request.method, rest) if hook is not None else None
        if answer is None:
            return None
        status, content_type, body = answer
        return HttpResponse(status, [("Content-Type", content_type)], body)

    def health(self, _body: Any) -> HttpResponse:
        return _json(
            200,
            {
                "status": "running",
                "version": __version__,
                "services": {name: "available" for name in self.services},
                "uptime_seconds": round(time.monotonic() - self.started, 3),
                "persistent": self.runtime.state.persistent,
            },
        )

    def reset(self, _body: Any) -> HttpResponse:
        """Wipe every service's state and return the clock to real time. Declared accounts stay."""
        self.runtime.state.wipe()
        self.dispatcher.reset()
        self.runtime.clock.reset()
        for spec in getattr(self.runtime.settings, "accounts", []):
            self.runtime.credentials.add_account(spec.id, spec.access_key, spec.secret_key, spec.name)
        return _json(200, {"reset": True})

    def _clock_state(self) -> dict[str, Any]:
        clock = self.runtime.clock
        return {"now": format_iso8601(clock.now()), "offset_seconds": clock.offset_seconds}

    def get_clock(self, _body: Any) -> HttpResponse:
        return _json(200, self._clock_state())

    def advance_clock(self, body: Any) -> HttpResponse:
        if not isinstance(body, dict) or "seconds" not in body:
            raise _BadRequest('expected {"seconds": N}')
        seconds = body["seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise _BadRequest("seconds must be a number ≥ 0")
        self.runtime.clock.advance(seconds)
        return _json(200, self._clock_state())

    def nbd_info(self, _body: Any) -> HttpResponse:
        """Where EBS volumes are served over NBD; port null when the server runs without it."""
        port = self.nbd.port if self.nbd is not None else None
        return _json(200, {"enabled": port is not None, "host": "127.0.0.1", "port": port})

    def list_accounts(self, _body: Any) -> HttpResponse:
        accounts = self.runtime.credentials.accounts.values()
        return _json(200, {"accounts": [{"id": a.id, "name": a.name, "access_keys": a.access_keys} for a in accounts]})

    def create_account(self, body: Any) -> HttpResponse:
        if not isinstance(body, dict):
            raise _BadRequest('expected {"id", "access_key", "secret_key", "name"}')
        try:
            account_id = str(body["id"])
            access_key = str(body["access_key"])
            secret_key = str(body["secret_key"])
        except KeyError as exc:
            raise _BadRequest(f"missing field {exc.args[0]!r}") from None
        name = str(body.get("name", ""))
        try:
            validate_account_id(account_id)
        except ConfigError as exc:
            raise _BadRequest(str(exc)) from None
        if not access_key or not secret_key:
            raise _BadRequest("access_key and secret_key must not be empty")
        existing = self.runtime.credentials.get(access_key)
        if existing is not None and existing.account_id != account_id:
            return _error(409, "AccessKeyInUse", f"access key {access_key} belongs to another account")
        self.runtime.credentials.add_account(account_id, access_key, secret_key, name)
        self.runtime.state.put(
            *ACCOUNT_RECORD, account_id, "", access_key,
            {"id": account_id, "access_key": access_key, "secret_key": secret_key, "name": name},
        )
        return _json(201, {"id": account_id, "name": name, "access_key": access_key})


class _BadRequest(Exception):
    pass
