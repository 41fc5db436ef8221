"""XML response bodies of the query and ec2 protocols, written from output shapes.

The element naming follows what botocore's ``QueryParser``/``EC2QueryParser`` read: a member is
``locationName`` or its name; non-flattened lists wrap items in ``<member>`` (or the list member's
``locationName``, ``<item>`` in EC2); flattened lists repeat the member element; maps use
``<entry><key/><value/></entry>`` (custom key/value names honoured), flattened maps repeat the
member element around each key/value pair.
"""

from __future__ import annotations

from typing import Any

from pycloud.protocol import timestamps
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.shapes import b64encode, format_float, is_flattened, location_name

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def escape_text(text: str) -> str:
    """Escape character data for an XML element."""
    return text.translate(_ESCAPES)


def escape_attr(text: str) -> str:
    """Escape an attribute value (double-quoted)."""
    return escape_text(text).replace('"', "&quot;")


def format_scalar(type_name: str, value: Any, ts_format: str | None) -> str:
    """The text of a scalar value in the query/XML protocols."""
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "timestamp":
        if ts_format == "unixTimestamp":
            return str(timestamps.format_epoch(value))
        if ts_format == "rfc822":
            return timestamps.format_rfc822(value)
        return timestamps.format_iso8601(value)
    if type_name == "blob":
        return b64encode(value)
    if type_name in ("float", "double"):
        return format_float(value)
    if type_name in ("integer", "long", "short", "byte"):
        return str(int(value))
    return str(value)


class XmlWriter:
    """Appends the XML of shaped values to a list of string parts."""

    def __init__(self, service: ServiceModel) -> None:
        self.service = service

    def members(self, parts: list[str], shape: dict[str, Any], value: dict[str, Any]) -> None:
        """Write each present member of a structure ``value`` (model order)."""
        shapes = self.service.shapes
        for name, ref in shape.get("members", {}).items():
            member_value = value.get(name)
            if member_value is None or ref.get("xmlAttribute"):
                continue
            member_shape = shapes[ref["shape"]]
            tag = location_name(ref, name)
            if member_shape["type"] == "list" and is_flattened(ref, member_shape):
                tag = member_shape["member"].get("locationName") or tag
            self.value(parts, tag, ref, member_shape, member_value)

    def value(self, parts: list[str], tag: str, ref: dict[str, Any] | None, shape: dict[str, Any], value: Any) -> None:
        """Write ``value`` of ``shape`` as element(s) named ``tag``."""
        kind = shape["type"]
        if kind == "structure":
            parts.append(f"<{tag}>")
            if isinstance(value, dict):
                self.members(parts, shape, value)
            parts.append(f"</{tag}>")
        elif kind == "list":
            self._list(parts, tag, ref, shape, value)
        elif kind == "map":
            self._map(parts, tag, ref, shape, value)
        else:
            ts_format = (ref or {}).get("timestampFormat") or shape.get("timestampFormat")
            parts.append(f"<{tag}>{escape_text(format_scalar(kind, value, ts_format))}</{tag}>")

    def _list(self, parts: list[str], tag: str, ref: dict[str, Any] | None, shape: dict[str, Any], items: Any) -> None:
        member_ref = shape["member"]
        member_shape = self.service.shapes[member_ref["shape"]]
        if is_flattened(ref, shape):
            for item in items:
                self.value(parts, tag, member_ref, member_shape, item)
            return
        item_tag = member_ref.get("locationName") or "member"
        parts.append(f"<{tag}>")
        for item in items:
            self.value(parts, item_tag, member_ref, member_shape, item)
        parts.append(f"</{tag}>")

    def _map(self, parts: list[str], tag: str, ref: dict[str, Any] | None, shape: dict[str, Any], entries: Any) -> None:
        shapes = self.service.shapes
        key_ref, value_ref = shape["key"], shape["value"]
        key_shape, value_shape = shapes[key_ref["shape"]], shapes[value_ref["shape"]]
        key_tag = key_ref.get("locationName") or "key"
        value_tag = value_ref.get("locationName") or "value"
        flattened = is_flattened(ref, shape)
        if not flattened:
            parts.append(f"<{tag}>")
        for key, item in entries.items():
            if item is None:
                continue  # botocore needs a value element in every entry
            parts.append(f"<{tag}>" if flattened else "<entry>")
            self.value(parts, key_tag, key_ref, key_shape, key)
            self.value(parts, value_tag, value_ref, value_shape, item)
            parts.append(f"</{tag}>" if flattened else "</entry>")
        if not flattened:
            parts.append(f"</{tag}>")
