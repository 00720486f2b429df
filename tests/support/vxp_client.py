"""A Python stand-in for the VXP Java SDK (``com.vpcp.services``, 2.0.1), byte for byte.

It reproduces what vxp-protocol.md says the SDK puts on the wire:

* one mutable header map per service object whose keys are never removed, so
  ``docId`` or ``status`` from an earlier call travel with later ones;
* ``timestamp`` (``ddMMyyyy'T'HHmmss+SSSS``) fixed when the object is built;
* header order, ``sign-header-key`` and the signed JSON in Java ``HashMap``
  iteration order (``String.hashCode``, spread ``h ^ (h >>> 16)``, capacity 16
  doubling past a 0.75 load factor, insertion order inside a bucket);
* the HMAC over the sign-header's UTF-8 bytes with the secret as a plain string;
* sendEdoc: the raw file plus ``\\r\\n``, the lossy ``hash-file``, ``to`` as JSON text;
* empty bodies, ``{}`` bodies and a GET for downloadEdoc, as in the SDK's table;
* a request re-sent after its answer was lost (HttpClient retries, the JDK's
  silent POST repeat).

Requests are written on a raw socket so nothing is normalised on the way.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
VERSION = "3.0.201608"
PREFIX = "XroadVnpt-"

HeaderValue = str | int | bool | Sequence[str]


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode``: over UTF-16 code units, wrapping at 32 bits (signed)."""
    value = 0
    units = text.encode("utf-16-be")
    for index in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[index : index + 2], "big")) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _spread(key: str) -> int:
    h = java_string_hash(key) & 0xFFFFFFFF
    return h ^ (h >> 16)


def java_hashmap_order(keys_in_insertion_order: Sequence[str]) -> list[str]:
    """Iteration order of a default ``new HashMap<>()`` after these insertions.

    Capacity starts at 16 and doubles whenever the size passes 0.75 of it; a
    resize splits each bucket keeping relative order, so the final order is
    by bucket of the final capacity, then by insertion.
    """
    capacity = 16
    while len(keys_in_insertion_order) > capacity * 3 // 4:
        capacity *= 2
    indexed = [
        (_spread(key) & (capacity - 1), position, key)
        for position, key in enumerate(keys_in_insertion_order)
    ]
    return [key for _, _, key in sorted(indexed)]


_GSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GSON_HTML = "<>&='"


def gson_string(text: str) -> str:
    """A JSON string as Gson 2.2 writes it (HTML-safe escapes included)."""
    out = ['"']
    for char in text:
        if char in _GSON_ESCAPES:
            out.append(_GSON_ESCAPES[char])
        elif char in _GSON_HTML or ord(char) < 0x20:
            named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
            out.append(named.get(char, f"\\u{ord(char):04x}"))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def lossy_hash_file(data: bytes) -> str:
    return "".join(format(byte, "x") for byte in hashlib.sha256(data).digest())


def sdk_timestamp(moment: datetime) -> str:
    """``ddMMyyyy'T'HHmmss+SSSS``: ``+`` literal, milliseconds padded to 4 digits."""
    return moment.strftime("%d%m%YT%H%M%S") + f"+{moment.microsecond // 1000:04d}"


def _text(value: HeaderValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(list(value), separators=(",", ":"))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("ascii"))


class VxpService:
    """One SDK service object (``KnobstickServiceImp``/``AgencyServiceImp``)."""

    def __init__(
        self,
        endpoint: str,
        system_id: str,
        secret: str,
        *,
        created_at: datetime | None = None,
        truncate_non_ascii: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.endpoint = endpoint
        # For an https endpoint: the client's TLS context (its trust, its certificate).
        self.tls = tls
        self.secret = secret
        # Explicit-port http endpoints send each header char as one byte (§3).
        self.truncate_non_ascii = truncate_non_ascii
        self.header_map: dict[str, str] = {}
        self.header_map["timestamp"] = sdk_timestamp(created_at or datetime.now())
        self.header_map["systemid"] = system_id
        self.last_request: bytes = b""

    # -- what the SDK builds ---------------------------------------------------------

    def ordered_keys(self) -> list[str]:
        return java_hashmap_order(list(self.header_map))

    def sign_header(self) -> str:
        entries = (
            f"{gson_string(PREFIX + key)}:{gson_string(self.header_map[key])}"
            for key in self.ordered_keys()
        )
        return "{" + ",".join(entries) + "}"

    def hash_header(self) -> str:
        sign = self.sign_header().encode("utf-8")
        return hmac.new(self.secret.encode("utf-8"), sign, hashlib.sha256).hexdigest()

    def _encode(self, value: str) -> bytes:
        if self.truncate_non_ascii:
            return bytes(ord(char) & 0xFF for char in value)
        return value.encode("utf-8")

    def build_request(
        self,
        operation: str,
        header_json: Mapping[str, HeaderValue],
        *,
        content_type: str = "application/json",
        method: str = "POST",
        body: bytes = b"",
        send_edoc: bool = False,
    ) -> bytes:
        self.header_map["Content-Type"] = content_type
        for key, value in header_json.items():
            if send_edoc and key == "to":
                self.header_map[key] = json.dumps(value) if isinstance(value, str) else _text(value)
            else:
                self.header_map[key] = _text(value)
        url = urlsplit(self.endpoint + "/" + operation)
        lines: list[bytes] = [f"{method} {url.path} HTTP/1.1".encode()]
        for key in self.ordered_keys():
            lines.append(self._encode(f"{PREFIX}{key}: {self.header_map[key]}"))
        lines.append(self._encode(f"Content-Type: {content_type}"))
        lines.append(self._encode(f"{PREFIX}sign-header-key: {';'.join(self.ordered_keys())}"))
        lines.append(self._encode(f"{PREFIX}sign-header: {self.sign_header()}"))
        lines.append(f"{PREFIX}hash-header: {self.hash_header()}".encode())
        lines.append(f"User-Agent: {USER_AGENT}".encode())
        lines.append(f"{PREFIX}version: {VERSION}".encode())
        if send_edoc:
            lines += [
                b"Cache-Control: no-cache",
                b"Pragma: no-cache",
                f"Host: {url.netloc}".encode(),
                b"Accept: text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2",
                b"Connection: keep-alive",
                f"Content-Length: {len(body)}".encode(),
            ]
        else:
            if method == "POST":
                lines.append(f"Content-Length: {len(body)}".encode())
            lines += [
                f"Host: {url.netloc}".encode(),
                b"Connection: Keep-Alive",
                b"Accept-Encoding: gzip,deflate",
            ]
            if method == "POST" and body:
                lines.append(b"Expect: 100-continue")
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    # -- the wire ---------------------------------------------------------------------

    def _exchange(self, request: bytes, *, lose_answer: bool = False) -> Answer:
        url = urlsplit(self.endpoint)
        with contextlib.ExitStack() as stack:
            raw = stack.enter_context(
                socket.create_connection((url.hostname or "", url.port or 80), timeout=30)
            )
            sock = (
                stack.enter_context(self.tls.wrap_socket(raw, server_hostname=url.hostname))
                if self.tls is not None
                else raw
            )
            sock.sendall(request)
            if lose_answer:
                # The server answered, but the answer never reaches the caller.
                sock.recv(1)
                raise ConnectionResetError("the answer was lost")
            response = http.client.HTTPResponse(sock)
            response.begin()
            body = response.read()
            return Answer(response.status, dict(response.getheaders()), body)

    def call(self, request: bytes, *, lose_first_answer: bool = False) -> Answer:
        self.last_request = request
        if lose_first_answer:
            # The SDK (HttpClient retry / JDK POST repeat) sends it again.
            with contextlib.suppress(ConnectionResetError):
                self._exchange(request, lose_answer=True)
        return self._exchange(request)

    def resend_last(self) -> Answer:
        return self._exchange(self.last_request)

    # -- the SDK's operations -----------------------------------------------------------

    def send_edoc(
        self,
        header_json: Mapping[str, HeaderValue],
        file_bytes: bytes,
        *,
        lose_first_answer: bool = False,
    ) -> Answer:
        self.header_map["hash-file"] = lossy_hash_file(file_bytes)
        request = self.build_request(
            "sendEdoc",
            header_json,
            content_type="application/octet-stream",
            body=file_bytes + b"\r\n",
            send_edoc=True,
        )
        return self.call(request, lose_first_answer=lose_first_answer)

    def _empty(self, operation: str, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self.call(self.build_request(operation, header_json))

    def _braces(self, operation: str, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self.call(self.build_request(operation, header_json, body=b"{}"))

    def get_received_edoc_list(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._empty("getReceivedEdocList", header_json)

    def get_sent_edoc_list(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._empty("getSentEdocList", header_json)

    def get_agencies_list(self, header_json: Mapping[str, HeaderValue] | None = None) -> Answer:
        return self._empty("getAgenciesList", header_json or {})

    def get_agencies_list_qd20(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._empty("getAgenciesListQD20", header_json)

    def get_synchronize_unit(self, header_json: Mapping[str, HeaderValue] | None = None) -> Answer:
        return self._empty("getSynchronizeUnit", header_json or {})

    def get_edoc(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._braces("getEdoc", header_json)

    def update_status(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._braces("updateStatus", header_json)

    def count_receive_edoc(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._braces("countReceiveEdoc", header_json)

    def count_receive_status(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._braces("countReceiveStatus", header_json)

    def delete_agency(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self._braces("deleteAgency", header_json)

    def register_agency(self, header_json: Mapping[str, HeaderValue], data: str) -> Answer:
        request = self.build_request("registerAgency", header_json, body=data.encode("utf-8"))
        return self.call(request)

    def download_edoc(self, header_json: Mapping[str, HeaderValue]) -> Answer:
        return self.call(self.build_request("downloadEdoc", header_json, method="GET"))
