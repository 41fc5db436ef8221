"""Which REST operation an HTTP request is, from the ``requestUri`` templates of a botocore model.

Each service's templates are compiled once (lazily, on first use) into a router: per HTTP method,
one regex per distinct path template, each with the operations sharing it. ``{Label}`` matches one
path segment, ``{Label+}`` the rest of the path (``/`` included). Literal query parts of a template
(S3's ``?uploads``, ``?list-type=2``) must be present in the request.

When several operations match, the most specific wins: more literal path segments, fewer greedy
labels, more literal query parts, then the operation whose required ``querystring``/``header``
members are all present and most numerous (this is what tells S3's PutObject, CopyObject
(``x-amz-copy-source``), UploadPart (``?partNumber&uploadId``) and UploadPartCopy apart, and
GetObject from ListParts). Remaining ties go to non-deprecated operations, then to the one whose
optional query parameters the request uses, then by name. An ``x-id`` query parameter naming one
of the candidates (sent by some SDKs) settles the choice outright.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel

_LABEL_RE = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class _Route:
    operation: str
    literal_query: tuple[tuple[str, str | None], ...]
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    optional_query: frozenset[str]
    deprecated: bool


@dataclass
class _PathTemplate:
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    literal_segments: int
    greedy: int
    routes: list[_Route] = field(default_factory=list)


@dataclass
class _Router:
    by_method: dict[str, list[_PathTemplate]]
    by_operation: dict[str, _PathTemplate]
    valued_query: tuple[str, ...] = ()
    """Query keys some template requires with a particular value (their values matter)."""
    header_names: tuple[str, ...] = ()
    """Headers some operation requires (their presence matters)."""
    choices: dict[tuple, tuple[int, str] | None] = field(default_factory=dict)
    """What decided a request's operation → (template index, operation): routing memo."""


_routers: dict[str, _Router] = {}
_lock = threading.Lock()


def _compile_path(path: str) -> tuple[re.Pattern[str], tuple[str, ...], int, int]:
    """Regex for a path template, its label names, literal segment count and greedy label count."""
    greedy_tail = path.endswith("+}")
    if not greedy_tail and len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    pattern: list[str] = ["^"]
    labels: list[str] = []
    greedy = 0
    pos = 0
    for match in _LABEL_RE.finditer(path):
        pattern.append(re.escape(path[pos : match.start()]))
        name = match.group(1)
        if name.endswith("+"):
            labels.append(name[:-1])
            pattern.append("(.+)")
            greedy += 1
        else:
            labels.append(name)
            pattern.append("([^/]+)")
        pos = match.end()
    pattern.append(re.escape(path[pos:]))
    # A trailing slash is optional unless a greedy label ends the template (S3 keys may end in "/").
    pattern.append("$" if greedy_tail else "/?$")
    literal_segments = sum(1 for seg in path.split("/") if seg and "{" not in seg)
    return re.compile("".join(pattern), re.DOTALL), tuple(labels), literal_segments, greedy


def _literal_query(query: str) -> tuple[tuple[str, str | None], ...]:
    parts: list[tuple[str, str | None]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        parts.append((key, value if eq else None))
    return tuple(parts)


def _route_for(service: ServiceModel, name: str, op: dict, literal: tuple) -> _Route:
    required_query: list[str] = []
    required_headers: list[str] = []
    optional_query: set[str] = set()
    literal_keys = {key for key, _ in literal}
    ref = op.get("input")
    if ref:
        shape = service.shapes[ref["shape"]]
        required = set(shape.get("required", ()))
        for member, mref in shape.get("members", {}).items():
            location = mref.get("location")
            loc_name = mref.get("locationName", member)
            if location == "querystring" and service.shapes[mref["shape"]]["type"] != "map":
                if loc_name in literal_keys:
                    continue
                if member in required:
                    required_query.append(loc_name)
                else:
                    optional_query.add(loc_name)
            elif location == "header" and member in required:
                required_headers.append(loc_name.lower())
    return _Route(
        operation=name,
        literal_query=literal,
        required_query=tuple(required_query),
        required_headers=tuple(required_headers),
        optional_query=frozenset(optional_query),
        deprecated=bool(op.get("deprecated")),
    )


def _build_router(service: ServiceModel) -> _Router:
    templates: dict[tuple[str, str], _PathTemplate] = {}
    by_operation: dict[str, _PathTemplate] = {}
    for name, op in service.operations.items():
        http = op.get("http") or {}
        method = http.get("method", "POST").upper()
        path, _, query = http.get("requestUri", "/").partition("?")
        key = (method, path)
        template = templates.get(key)
        if template is None:
            regex, labels, literal_segments, greedy = _compile_path(path)
            template = _PathTemplate(regex, labels, literal_segments, greedy)
            templates[key] = template
        template.routes.append(_route_for(service, name, op, _literal_query(query)))
        by_operation[name] = template
    by_method: dict[str, list[_PathTemplate]] = {}
    for (method, _), template in templates.items():
        by_method.setdefault(method, []).append(template)
    routes = [route for template in templates.values() for route in template.routes]
    valued = sorted({key for route in routes for key, value in route.literal_query if value is not None})
    headers = sorted({name for route in routes for name in route.required_headers})
    return _Router(by_method, by_operation, tuple(valued), tuple(headers))


def _router(service: ServiceModel) -> _Router:
    router = _routers.get(service.name)
    if router is None:
        with _lock:
            router = _routers.get(service.name)
            if router is None:
                router = _build_router(service)
                _routers[service.name] = router
    return router


def _decode_labels(template: _PathTemplate, match: re.Match[str]) -> dict[str, str]:
    try:
        # unquote (not unquote_plus): "+" is literal in a path, "%2F" becomes "/".
        return {
            name: unquote(value, errors="strict") for name, value in zip(template.labels, match.groups(), strict=True)
        }
    except UnicodeDecodeError as exc:
        raise ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400) from exc


def _literal_ok(route: _Route, query: dict[str, list[str]]) -> bool:
    for key, value in route.literal_query:
        values = query.get(key)
        if values is None or (value is not None and value not in values):
            return False
    return True


def _required_ok(route: _Route, query: dict[str, list[str]], headers: dict[str, str]) -> bool:
    return all(key in query for key in route.required_query) and all(h in headers for h in route.required_headers)


def match_operation(
    service: ServiceModel,
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]] | None:
    """The operation a REST request is for and its decoded URI labels, or None when nothing matches.

    ``path`` is the raw (percent-encoded) path-style path; ``headers`` (lower-case names) lets
    operations that share a template be told apart by their required headers.
    Raises ServiceError(InvalidURI) when a label is not valid percent-encoded UTF-8.
    """
    headers = headers or {}
    router = _router(service)
    method = method.upper()
    templates = router.by_method.get(method)
    if not templates:
        return None
    x_id = (query.get("x-id") or [None])[0]
    matches = [template.regex.match(path) for template in templates]
    # The choice depends only on which templates match, the query's keys (and values of the keys
    # templates pin), x-id and which required headers are present: remember it by those.
    signature = (
        method,
        tuple(match is not None for match in matches),
        frozenset(query),
        x_id,
        tuple((key, tuple(query[key])) for key in router.valued_query if key in query),
        tuple(name in headers for name in router.header_names),
    )
    choice = router.choices.get(signature, False)
    if choice is False:
        choice = _choose(templates, matches, query, headers, x_id)
        if len(router.choices) >= 4096:
            router.choices.clear()
        router.choices[signature] = choice
    if choice is None:
        return None
    index, operation = choice
    return operation, _decode_labels(templates[index], matches[index])


def _choose(
    templates: list[_PathTemplate],
    matches: list[re.Match[str] | None],
    query: dict[str, list[str]],
    headers: dict[str, str],
    x_id: str | None,
) -> tuple[int, str] | None:
    """(index of the winning template, operation) by the specificity rules, or None."""
    best_key: tuple | None = None
    best: tuple[_Route, int] | None = None
    for index, (template, match) in enumerate(zip(templates, matches, strict=True)):
        if match is None:
            continue
        for route in template.routes:
            if not _literal_ok(route, query):
                continue
            required_ok = _required_ok(route, query, headers)
            key = (
                route.operation == x_id,
                template.literal_segments,
                -template.greedy,
                len(route.literal_query),
                required_ok,
                len(route.required_query) + len(route.required_headers) if required_ok else 0,
                not route.deprecated,
                sum(1 for q in route.optional_query if q in query),
            )
            if best_key is None or key > best_key or (key == best_key and route.operation < best[0].operation):
                best_key, best = key, (route, index)
    if best is None:
        return None
    return best[1], best[0].operation


def extract_labels(service: ServiceModel, operation: str, path: str) -> dict[str, str]:
    """Decoded URI labels of ``path`` for a known operation (empty when the path does not fit)."""
    template = _router(service).by_operation.get(operation)
    if template is None:
        return {}
    match = template.regex.match(path)
    return _decode_labels(template, match) if match else {}
