"""XML for the rest-xml protocol: safe parsing, and shape-driven decoding and encoding.

Parsing goes through ``defusedxml`` with DTDs forbidden, so entity bombs and external entities
fail fast with :class:`XmlError` instead of expanding or reaching the network/disk.

Naming follows botocore's rest-xml rules so its clients read what we write: a member's element is
its ``locationName`` (or its member name); a flattened list repeats the member's element (named by
the list member's ``locationName`` when it has one) instead of wrapping ``<member>`` items; maps
are ``<entry><key/><value/></entry>``; ``xmlAttribute`` members are attributes of the parent
element; ``xmlNamespace`` adds an ``xmlns`` (or ``xmlns:prefix``) declaration.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from pycloud.protocol.model import ServiceModel
from pycloud.protocol.timestamps import format_epoch, format_iso8601, format_rfc822, parse_timestamp

__all__ = [
    "XmlError",
    "parse_xml",
    "local_name",
    "escape_text",
    "escape_attr",
    "decode_structure",
    "encode_element",
]


class XmlError(ValueError):
    """A body that is not well-formed XML, is unsafe, or holds a value of the wrong type."""


def parse_xml(body: bytes | str) -> Element:
    """Parse an XML document safely; raises XmlError for malformed, DTD-bearing or entity-using input."""
    try:
        return safe_et.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, TypeError) as exc:
        raise XmlError(str(exc) or exc.__class__.__name__) from exc


def local_name(tag: str) -> str:
    """An element or attribute name without its ``{namespace}`` part."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)


def escape_text(text: str) -> str:
    """Escape character data (``\\r`` is kept as a reference so parsers do not normalise it away)."""
    return text.translate(_TEXT_ESCAPES)


def escape_attr(text: str) -> str:
    """Escape a double-quoted attribute value."""
    return text.translate(_ATTR_ESCAPES)


# --- shape helpers -----------------------------------------------------------------------------


def _attr(ref: dict[str, Any], shape: dict[str, Any], key: str) -> Any:
    """A serialization attribute, member-ref level first (botocore merges the two the same way)."""
    value = ref.get(key)
    return shape.get(key) if value is None else value


def member_element_name(service: ServiceModel, ref: dict[str, Any], member: str) -> str:
    """The element name a structure member is written under (botocore's ``_member_key_name``)."""
    shape = service.shapes[ref["shape"]]
    if shape["type"] == "list" and _attr(ref, shape, "flattened"):
        inner = shape["member"].get("locationName")
        if inner:
            return inner
    return _attr(ref, shape, "locationName") or member


def _timestamp_format(ref: dict[str, Any], shape: dict[str, Any], default: str) -> str:
    return _attr(ref, shape, "timestampFormat") or default


# --- decoding ----------------------------------------------------------------------------------


def _children_by_name(element: Element) -> dict[str, list[Element]]:
    children: dict[str, list[Element]] = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(local_name(child.tag), []).append(child)
    return children


def decode_structure(service: ServiceModel, shape: dict[str, Any], element: Element) -> dict[str, Any]:
    """Decode the body members of a structure shape from its element. Raises XmlError on bad values."""
    children = _children_by_name(element)
    result: dict[str, Any] = {}
    for member, ref in shape.get("members", {}).items():
        if ref.get("location"):
            continue
        mshape = service.shapes[ref["shape"]]
        if _attr(ref, mshape, "xmlAttribute"):
            wanted = local_name((_attr(ref, mshape, "locationName") or member).split(":")[-1])
            for key, value in element.attrib.items():
                if local_name(key) == wanted:
                    result[member] = _decode_scalar(ref, mshape, value)
                    break
            continue
        nodes = children.get(member_element_name(service, ref, member))
        if not nodes:
            continue
        if mshape["type"] == "list" and _attr(ref, mshape, "flattened"):
            result[member] = [decode_value(service, mshape["member"], node) for node in nodes]
        elif mshape["type"] == "map" and _attr(ref, mshape, "flattened"):
            result[member] = _decode_entries(service, mshape, nodes)
        else:
            result[member] = decode_value(service, ref, nodes[0])
    return result


def _decode_entries(service: ServiceModel, shape: dict[str, Any], entries: list[Element]) -> dict[str, Any]:
    key_ref, value_ref = shape["key"], shape["value"]
    key_name = key_ref.get("locationName") or "key"
    value_name = value_ref.get("locationName") or "value"
    result: dict[str, Any] = {}
    for entry in entries:
        key = value = None
        for child in entry:
            if not isinstance(child.tag, str):
                continue
            tag = local_name(child.tag)
            if tag == key_name:
                key = decode_value(service, key_ref, child)
            elif tag == value_name:
                value = decode_value(service, value_ref, child)
        if key is None:
            raise XmlError("map entry without a key")
        result[key] = value
    return result


def decode_value(service: ServiceModel, ref: dict[str, Any], element: Element) -> Any:
    """Decode one element as the shape ``ref`` points to."""
    shape = service.shapes[ref["shape"]]
    kind = shape["type"]
    if kind == "structure":
        return decode_structure(service, shape, element)
    if kind == "list":
        member_ref = shape["member"]
        return [decode_value(service, member_ref, child) for child in element if isinstance(child.tag, str)]
    if kind == "map":
        return _decode_entries(service, shape, [child for child in element if isinstance(child.tag, str)])
    return _decode_scalar(ref, shape, element.text or "")


def _decode_scalar(ref: dict[str, Any], shape: dict[str, Any], text: str) -> Any:
    kind = shape["type"]
    if kind == "string":
        return text
    stripped = text.strip()
    try:
        if kind in ("integer", "long", "short", "byte"):
            return int(stripped)
        if kind in ("float", "double"):
            return float(stripped)
        if kind == "boolean":
            if stripped not in ("true", "false"):
                raise XmlError(f"invalid boolean {stripped!r}")
            return stripped == "true"
        if kind == "timestamp":
            return parse_timestamp(stripped, _timestamp_format(ref, shape, "iso8601"))
        if kind == "blob":
            return base64.b64decode(stripped, validate=True)
    except XmlError:
        raise
    except Exception as exc:  # ValueError, binascii.Error, ServiceError from parse_timestamp
        raise XmlError(f"invalid {kind} value {stripped!r}") from exc
    return text


# --- encoding ----------------------------------------------------------------------------------


def _namespace_decl(ns: dict[str, Any] | None) -> str:
    if not ns or not ns.get("uri"):
        return ""
    prefix = ns.get("prefix")
    name = f"xmlns:{prefix}" if prefix else "xmlns"
    return f' {name}="{escape_attr(ns["uri"])}"'


def format_scalar(ref: dict[str, Any], shape: dict[str, Any], value: Any, default_ts: str = "iso8601") -> str:
    """Text form of a scalar for XML bodies, headers and query strings."""
    kind = shape["type"]
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        fmt = _timestamp_format(ref, shape, default_ts)
        if fmt == "rfc822":
            return format_rfc822(value)
        if fmt == "unixTimestamp":
            return str(format_epoch(value))
        return format_iso8601(value)
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind in ("float", "double") and isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, datetime):
        return format_iso8601(value)
    return str(value)


Encoder = Callable[[str, Any, list[str], str], None]
"""A compiled element writer: (element name, value, output pieces, extra xmlns) → appends XML."""

_ENCODERS: dict[int, Encoder] = {}
# Models are loaded once and kept for the life of the process, so their dicts' ids are stable keys.


def encode_element(
    service: ServiceModel,
    ref: dict[str, Any],
    name: str,
    value: Any,
    out: list[str],
    extra_ns: str = "",
) -> None:
    """Append ``<name>…</name>`` for ``value`` of shape ``ref`` to ``out``.

    ``extra_ns`` is an ``xmlns`` declaration to add on this element (used for the document root).
    Each shape reference is compiled once into a writer (no model walk per element: a 1,000-key
    listing writes ~10,000 elements).
    """
    _encoder(service, ref)(name, value, out, extra_ns)


def _encoder(service: ServiceModel, ref: dict[str, Any]) -> Encoder:
    encoder = _ENCODERS.get(id(ref))
    if encoder is None:
        encoder = _ENCODERS[id(ref)] = _compile(service, ref)
    return encoder


def _compile(service: ServiceModel, ref: dict[str, Any]) -> Encoder:
    shape = service.shapes[ref["shape"]]
    kind = shape["type"]
    own_ns = _namespace_decl(_attr(ref, shape, "xmlNamespace"))

    if kind == "structure":
        return _compile_structure(service, shape, own_ns)
    if kind == "list":
        member_ref = shape["member"]
        item_name = member_ref.get("locationName") or "member"

        def write_list(name: str, value: Any, out: list[str], extra_ns: str) -> None:
            item = _encoder(service, member_ref)
            out.append(f"<{name}{own_ns or extra_ns}>")
            for entry in value:
                if entry is not None:
                    item(item_name, entry, out, "")
            out.append(f"</{name}>")

        return write_list
    if kind == "map":

        def write_map(name: str, value: Any, out: list[str], extra_ns: str) -> None:
            out.append(f"<{name}{own_ns or extra_ns}>")
            _encode_entries(service, shape, "entry", value, out)
            out.append(f"</{name}>")

        return write_map

    text = _scalar_text(ref, shape)

    def write_scalar(name: str, value: Any, out: list[str], extra_ns: str) -> None:
        out.append(f"<{name}{own_ns or extra_ns}>{text(value)}</{name}>")

    return write_scalar


def _escaped(text: str) -> str:
    # most text has nothing to escape: four scans beat translate()'s copy
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return text.translate(_TEXT_ESCAPES)
    return text


def _scalar_text(ref: dict[str, Any], shape: dict[str, Any]) -> Callable[[Any], str]:
    """value → escaped element text, specialised by the shape's type."""
    kind = shape["type"]
    if kind == "string":
        return lambda value: _escaped(value) if type(value) is str else escape_text(format_scalar(ref, shape, value))
    if kind in ("integer", "long"):
        return lambda value: str(value) if type(value) is int else escape_text(format_scalar(ref, shape, value))
    if kind == "timestamp" and _timestamp_format(ref, shape, "iso8601") == "iso8601":
        return _iso8601_text
    return lambda value: escape_text(format_scalar(ref, shape, value))


_ISO_CACHE: dict[float, str] = {}


def _iso8601_text(value: Any) -> str:
    # Listings repeat timestamps (objects written in the same batch): memoise epoch numbers.
    if type(value) is float or type(value) is int:
        text = _ISO_CACHE.get(value)
        if text is None:
            if len(_ISO_CACHE) >= 8192:
                _ISO_CACHE.clear()
            text = _ISO_CACHE[value] = format_iso8601(value)
        return text
    return format_iso8601(value)


def _compile_structure(service: ServiceModel, shape: dict[str, Any], own_ns: str) -> Encoder:
    members: list[tuple[str, dict[str, Any], dict[str, Any], bool, str, bool]] = []
    for member, ref in shape.get("members", {}).items():
        if ref.get("location"):
            continue
        mshape = service.shapes[ref["shape"]]
        is_attr = bool(_attr(ref, mshape, "xmlAttribute"))
        name = (_attr(ref, mshape, "locationName") or member) if is_attr else member_element_name(service, ref, member)
        flattened = mshape["type"] in ("list", "map") and bool(_attr(ref, mshape, "flattened"))
        members.append((member, ref, mshape, is_attr, name, flattened))
    has_attrs = any(member[3] for member in members)
    plain: list[tuple[str, str, Encoder]] = []  # (member, element, writer) when no member is special

    def write_structure(name: str, value: Any, out: list[str], extra_ns: str) -> None:
        ns = own_ns or extra_ns
        if not has_attrs and not any(member[5] for member in members):
            if len(plain) != len(members):  # resolved on first use: shapes may be recursive
                plain[:] = [(member, element, _encoder(service, ref)) for member, ref, _, _, element, _ in members]
            out.append(f"<{name}{ns}>")
            for member, element, write in plain:
                item = value.get(member)
                if item is not None:
                    write(element, item, out, "")
            out.append(f"</{name}>")
            return
        attrs: list[str] = []
        body: list[str] = []
        for member, ref, mshape, is_attr, element, flattened in members:
            item = value.get(member)
            if item is None:
                continue
            if is_attr:
                attrs.append(f' {element}="{escape_attr(format_scalar(ref, mshape, item))}"')
            elif flattened:
                _write_flattened(service, mshape, element, item, body)
            else:
                _encoder(service, ref)(element, item, body, "")
        out.append(f"<{name}{ns}{''.join(attrs)}>")
        out.extend(body)
        out.append(f"</{name}>")

    return write_structure


def _write_flattened(service: ServiceModel, shape: dict[str, Any], element: str, value: Any, out: list[str]) -> None:
    if shape["type"] == "list":
        item = _encoder(service, shape["member"])
        for entry in value:
            if entry is not None:
                item(element, entry, out, "")
    else:
        _encode_entries(service, shape, element, value, out)


def _encode_entries(service: ServiceModel, shape: dict[str, Any], entry_name: str, value: dict, out: list[str]) -> None:
    key_ref, value_ref = shape["key"], shape["value"]
    key_name = key_ref.get("locationName") or "key"
    value_name = value_ref.get("locationName") or "value"
    write_key, write_value = _encoder(service, key_ref), _encoder(service, value_ref)
    for key, item in value.items():
        out.append(f"<{entry_name}>")
        write_key(key_name, key, out, "")
        if item is not None:
            write_value(value_name, item, out, "")
        out.append(f"</{entry_name}>")
