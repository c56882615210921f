"""The gateway's HTTP protocol for uvicorn: request-size limits while parsing.

uvicorn's httptools protocol buffers the request line and headers without a limit of its
own until the parser gives up (around 80 KB of URL), and then answers a ``text/plain``
400. This protocol stops reading as soon as the URL or the headers pass the edge limits
and answers a problem+json 414 or 431, or 400 for a malformed request, and never builds
the request at all. Run the gateway with
``uvicorn --http crm_gateway.limits.server:EdgeHttpToolsProtocol``; the app's
:class:`~crm_gateway.limits.edge.EdgeLimitsMiddleware` applies the same limits (and the
parameter count) under any server.
"""

from __future__ import annotations

import json
from typing import Any

from crm_chassis.errors import problem_body
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from crm_gateway.limits.edge import EdgeLimits

LIMITS = EdgeLimits()


class _TooLarge(Exception):
    pass


class EdgeHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the edge limits applied while parsing."""

    limits = LIMITS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: tuple[int, str, str, str] | None = None
        self._header_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._refusal = None
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_url_bytes:
            self._refuse(
                414, "URI too long",
                f"The URL is longer than {self.limits.max_url_bytes} bytes", "uri-too-long",
            )  # fmt: skip

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._header_bytes += len(name) + len(value) + 4
        if len(self.headers) > self.limits.max_headers:
            self._refuse(
                431, "Request header fields too large",
                f"At most {self.limits.max_headers} header fields are accepted",
                "headers-too-large",
            )  # fmt: skip
        if self._header_bytes > self.limits.max_header_bytes:
            self._refuse(
                431, "Request header fields too large",
                f"At most {self.limits.max_header_bytes} bytes of headers are accepted",
                "headers-too-large",
            )  # fmt: skip

    def _refuse(self, status: int, title: str, detail: str, type_: str) -> None:
        self._refusal = (status, title, detail, type_)
        raise _TooLarge(detail)  # the parser stops and reports an error

    def send_400_response(self, msg: str) -> None:
        status, title, detail, type_ = self._refusal or (
            400, "Bad request", "The request is not valid HTTP", "bad-request",
        )  # fmt: skip
        body = json.dumps(problem_body(status, title, detail, type_=type_)).encode()
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/problem+json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
