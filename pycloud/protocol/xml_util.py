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


_NS_CACHE: dict[int, str] = {}
_PLANS: dict[int, list[tuple[str, dict[str, Any], dict[str, Any], bool, str, bool]]] = {}
# Models are loaded once and kept for the life of the process, so their dicts' ids are stable keys.


def _ref_namespace(ref: dict[str, Any], shape: dict[str, Any]) -> str:
    key = id(ref)
    ns = _NS_CACHE.get(key)
    if ns is None:
        ns = _NS_CACHE[key] = _namespace_decl(_attr(ref, shape, "xmlNamespace"))
    return ns


def _structure_plan(
    service: ServiceModel, shape: dict[str, Any]
) -> list[tuple[str, dict[str, Any], dict[str, Any], bool, str, bool]]:
    """Per body member: (name, ref, shape, is_attribute, element/attribute name, flattened), built once."""
    plan = _PLANS.get(id(shape))
    if plan is None:
        plan = []
        for member, ref in shape.get("members", {}).items():
            if ref.get("location"):
                continue
            mshape = service.shapes[ref["shape"]]
            is_attr = bool(_attr(ref, mshape, "xmlAttribute"))
            name = (_attr(ref, mshape, "locationName") or member) if is_attr else member_element_name(service, ref, member)
            flattened = mshape["type"] in ("list", "map") and bool(_attr(ref, mshape, "flattened"))
            plan.append((member, ref, mshape, is_attr, name, flattened))
        _PLANS[id(shape)] = plan
    return plan


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
    """
    shape = service.shapes[ref["shape"]]
    kind = shape["type"]
    ns = _ref_namespace(ref, shape) or extra_ns
    if kind == "string" and type(value) is str:  # the common case, without format_scalar's dispatch
        out.append(f"<{name}{ns}>{value.translate(_TEXT_ESCAPES)}</{name}>")
    elif kind == "structure":
        _encode_structure(service, shape, name, value, out, ns)
    elif kind == "list":
        member_ref = shape["member"]
        item_name = member_ref.get("locationName") or "member"
        out.append(f"<{name}{ns}>")
        for item in value:
            if item is not None:
                encode_element(service, member_ref, item_name, item, out)
        out.append(f"</{name}>")
    elif kind == "map":
        out.append(f"<{name}{ns}>")
        _encode_entries(service, shape, "entry", value, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}{ns}>{escape_text(format_scalar(ref, shape, value))}</{name}>")


def _encode_entries(service: ServiceModel, shape: dict[str, Any], entry_name: str, value: dict, out: list[str]) -> None:
    key_ref, value_ref = shape["key"], shape["value"]
    key_name = key_ref.get("locationName") or "key"
    value_name = value_ref.get("locationName") or "value"
    for key, item in value.items():
        out.append(f"<{entry_name}>")
        encode_element(service, key_ref, key_name, key, out)
        if item is not None:
            encode_element(service, value_ref, value_name, item, out)
        out.append(f"</{entry_name}>")


def _encode_structure(
    service: ServiceModel, shape: dict[str, Any], name: str, value: dict[str, Any], out: list[str], ns: str
) -> None:
    attrs: list[str] = []
    body: list[str] = []
    for member, ref, mshape, is_attr, element, flattened in _structure_plan(service, shape):
        item = value.get(member)
        if item is None:
            continue
        if is_attr:
            attrs.append(f' {element}="{escape_attr(format_scalar(ref, mshape, item))}"')
        elif flattened and mshape["type"] == "list":
            for entry in item:
                if entry is not None:
                    encode_element(service, mshape["member"], element, entry, body)
        elif flattened:
            _encode_entries(service, mshape, element, item, body)
        else:
            encode_element(service, ref, element, item, body)
    out.append(f"<{name}{ns}{''.join(attrs)}>")
    out.extend(body)
    out.append(f"</{name}>")
