"""A plain HTTP GET of one path, unsigned: the ceiling workload (nginx serving a static file, say),
measured by the same generator as the AWS workloads."""

from __future__ import annotations

from urllib.parse import urlsplit

from pycloud.bench.workloads import register
from pycloud.bench.workloads.base import Option, SpecError, Workload


def _path(text: str) -> str:
    if not text.startswith("/") or any(c in text for c in " \r\n"):
        raise SpecError(f"--path {text!r}: an absolute URL path without spaces, e.g. /4k")
    return text


@register
class HttpGet(Workload):
    name = "http-get"
    help = "unsigned GET of --path (a ceiling: a static file on nginx); creates nothing"
    service = "http"
    options = (Option("path", _path, "/", "the URL path to GET (http-get)"),)

    def replay_requests(self, count: int) -> list[bytes]:
        host = urlsplit(self.url).netloc
        return [f"GET {self.settings['path']} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()]

    def request_bytes_estimate(self) -> int:
        return 64
