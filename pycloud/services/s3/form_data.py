"""A streaming reader of ``multipart/form-data`` bodies (RFC 7578), for S3's browser POST uploads.

Parts are read in order. Small field values are read whole; a file part is handed out chunk by
chunk as it arrives, so an upload of any size never sits in memory. Only what S3 uses of a part's
headers is kept: the ``Content-Disposition`` name and filename, and ``Content-Type``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream

MAX_PART_HEADERS = 8 * 1024
"""Largest header block of one part."""


def malformed_post(detail: str = "") -> ServiceError:
    """``MalformedPOSTRequest``: the body is not the multipart/form-data its Content-Type announces."""
    message = "The body of your POST request is not well-formed multipart/form-data."
    return ServiceError("MalformedPOSTRequest", f"{message} {detail}".strip(), 400)


class FieldTooLarge(Exception):
    """A field value was longer than the reader was allowed to collect."""


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename="b"`` → (``form-data``, {name: a, filename: b}).

    Splits on ``;`` outside quotes; quoted values may escape characters with a backslash.
    """
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    params: dict[str, str] = {}
    for item in items[1:]:
        name, eq, raw = item.strip().partition("=")
        if not eq:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[name.strip().lower()] = raw
    return items[0].strip().lower(), params


def boundary_of(content_type: str) -> str | None:
    """The boundary of a ``multipart/form-data`` Content-Type, or None if it is not one."""
    kind, params = _header_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/form-data" or not boundary or len(boundary) > 70:
        return None
    return boundary


@dataclass(frozen=True)
class Part:
    """The head of one form part."""

    name: str
    filename: str | None = None
    content_type: str | None = None


class FormReader:
    """Reads the parts of one multipart/form-data body from a BodyStream (or from bytes)."""

    def __init__(self, source: BodyStream | bytes | None, boundary: str) -> None:
        self._stream = source if isinstance(source, BodyStream) else None
        self._pending = b"" if isinstance(source, BodyStream) else bytes(source or b"")
        # A leading CRLF gives the first delimiter the same form as every later one.
        self._buf = bytearray(b"\r\n")
        self._delim = b"\r\n--" + boundary.encode("latin-1")
        self._eof = False
        self._in_part = False
        self._finished = False

    async def _fill(self) -> bool:
        """Append the next piece of the body to the buffer; False at its end."""
        if self._eof:
            return False
        if self._stream is not None:
            chunk = await self._stream.read()
        else:
            chunk, self._pending = self._pending, b""
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    async def next_part(self) -> Part | None:
        """Skip to the next part and read its headers; None after the closing delimiter."""
        if self._finished:
            return None
        delim = self._delim
        while (index := self._buf.find(delim)) < 0:
            keep = len(delim) - 1  # the tail might be the start of the delimiter
            if len(self._buf) > keep:
                del self._buf[: len(self._buf) - keep]
            if not await self._fill():
                raise malformed_post("The closing boundary is missing.")
        del self._buf[: index + len(delim)]
        while len(self._buf) < 2:
            if not await self._fill():
                raise malformed_post("The closing boundary is missing.")
        if self._buf[:2] == b"--":
            self._finished = True
            self._in_part = False
            return None
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            if len(self._buf) > MAX_PART_HEADERS:
                raise malformed_post("A part's headers are too large.")
            if not await self._fill():
                raise malformed_post("A part's headers are incomplete.")
        head = bytes(self._buf[:end])
        del self._buf[: end + 4]
        line, sep, headers = head.partition(b"\r\n")
        if line.strip(b" \t"):  # only transport padding may follow a delimiter on its line
            raise malformed_post()
        part = _parse_part_headers(headers.decode("utf-8", "replace") if sep else "")
        self._in_part = True
        return part

    async def read_chunk(self) -> bytes:
        """The next piece of the current part's content; ``b""`` once it is all read."""
        if not self._in_part:
            return b""
        delim = self._delim
        while True:
            index = self._buf.find(delim)
            if index >= 0:
                data = bytes(self._buf[:index])
                del self._buf[:index]
                self._in_part = False
                return data
            safe = len(self._buf) - (len(delim) - 1)
            if safe > 0:
                data = bytes(self._buf[:safe])
                del self._buf[:safe]
                return data
            if not await self._fill():
                raise malformed_post("The closing boundary is missing.")

    async def read_value(self, limit: int) -> bytes:
        """The whole content of the current part; FieldTooLarge past ``limit`` bytes."""
        pieces: list[bytes] = []
        size = 0
        while chunk := await self.read_chunk():
            size += len(chunk)
            if size > limit:
                raise FieldTooLarge
            pieces.append(chunk)
        return b"".join(pieces)

    async def drain(self, limit: int) -> bool:
        """Read and discard the rest of the body, up to ``limit`` bytes; True if it all arrived."""
        self._finished = True
        self._in_part = False
        seen = 0
        while seen <= limit:
            self._buf.clear()
            if not await self._fill():
                return True
            seen += len(self._buf)
        self._buf.clear()
        return False


def _parse_part_headers(text: str) -> Part:
    """A Part from a part's header lines; ``MalformedPOSTRequest`` without a form-data name."""
    name: str | None = None
    filename = content_type = None
    for line in text.split("\r\n"):
        header, colon, value = line.partition(":")
        if not colon:
            continue
        header = header.strip().lower()
        if header == "content-disposition":
            kind, params = _header_params(value)
            if kind != "form-data":
                raise malformed_post()
            name = params.get("name")
            filename = params.get("filename")
        elif header == "content-type":
            content_type = value.strip()
    if name is None:
        raise malformed_post("A part has no form-data name.")
    return Part(name, filename, content_type)
