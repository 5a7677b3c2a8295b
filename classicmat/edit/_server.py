"""The HTTP server of ``classicmat edit``: the page, the photo, and the matting API.

The standard library's :class:`http.server.ThreadingHTTPServer` parses the
requests; this module only routes them. Routes (fixed: no part of a request
is ever used as a file path):

=======  ================  =================================================
GET      ``/``             the page (``page/index.html`` of this package)
GET      ``/edit.js``,     its script and style sheet
         ``/edit.css``
GET      ``/image``        the photo, 8-bit RGB PNG
GET      ``/trimap``       the starting trimap, gray PNG 0 / 128 / 255
GET      ``/api/info``     JSON: size, names, the starting method, the outputs
GET      ``/api/methods``  JSON: ``[{"name", "summary"}]``
POST     ``/api/alpha``    PNG trimap in, 8-bit alpha PNG out (``?method=NAME``)
POST     ``/api/cutout``   PNG trimap in, RGBA cut-out PNG out (``?method=NAME``)
POST     ``/api/save``     PNG trimap in; writes the trimap, alpha and cut-out
                           next to the image; JSON ``{"saved": [...]}`` out
=======  ================  =================================================

A POST body must be ``Content-Type: image/png`` with a ``Content-Length`` of
at most :attr:`Workspace.body_limit` bytes. Every refusal is a 4xx status
with a one-line ``text/plain`` message, and the server goes on serving.

Served on loopback, requests whose ``Host`` header is not the server's own
address are refused (403), so that a web page elsewhere cannot reach the
API through a DNS name rebound to 127.0.0.1; a cross-site page cannot send
``image/png`` bodies without a CORS preflight, which the server never
grants.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .._version import __version__
from ._workspace import RequestError, Workspace

__all__ = ["EditServer", "is_loopback"]

#: The page's files: URL path -> (file in ``page/``, content type).
PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/edit.js": ("edit.js", "text/javascript; charset=utf-8"),
    "/edit.css": ("edit.css", "text/css; charset=utf-8"),
}

#: The page may load from and talk to its own server only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

#: Query parameters of the POST routes.
POST_PARAMETERS = ("method",)


def is_loopback(host: str) -> bool:
    """``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _page_files() -> dict[str, tuple[bytes, str]]:
    folder = resources.files(__package__) / "page"
    return {
        route: ((folder / name).read_bytes(), content_type)
        for route, (name, content_type) in PAGE_FILES.items()
    }


class EditServer(ThreadingHTTPServer):
    """Serve ``workspace`` on ``host:port`` (port 0: a free port).

    Call :meth:`serve_forever` (in any thread), then :meth:`shutdown` and
    :meth:`server_close`.

    Raises
    ------
    OSError
        The address cannot be bound (port in use, unknown host, ...).
    """

    daemon_threads = True  # a connection left open never keeps the process alive

    def __init__(self, workspace: Workspace, host: str = "127.0.0.1", port: int = 0) -> None:
        self.workspace = workspace
        self.page_files = _page_files()
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        families = [info[0] for info in found]
        # IPv4 where the name has both ("localhost"): the address the browser tries first
        self.address_family = socket.AF_INET if socket.AF_INET in families else families[0]
        self.loopback = is_loopback(host)
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a reload, a closed tab) is no error to report."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        """The page's address (a loopback one when bound to every interface)."""
        host = self.server_address[0]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        """``Host`` header values accepted when serving on loopback."""
        port = self.port
        return {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}


class _Handler(BaseHTTPRequestHandler):
    server: EditServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page sends a request per stroke
    server_version = f"classicmat-edit/{__version__}"
    timeout = 120  # seconds a connection may stay silent
    _body_read = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the page shows the errors, and the command prints its saves."""

    # ------------------------------------------------------------ responses

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, value: Any) -> None:
        self._send(200, json.dumps(value).encode(), "application/json")

    def _send_refusal(self, status: int, message: str, headers: dict[str, str] | None = None):
        if not self._body_read:
            self.close_connection = True  # the body that follows would be read as a request
        text = " ".join(message.split())
        self._send(status, (text + "\n").encode(), "text/plain; charset=utf-8", headers)
        if not self._body_read:
            self._linger()

    def _linger(self, seconds: float = 1.0) -> None:
        """Read and drop what the client still sends, so that it sees the response.

        Closing a socket with unread data makes the kernel reset the
        connection, and the client may lose the response it has not read.
        """
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(1 << 16):
                    break
        except OSError:
            pass

    # ------------------------------------------------------------ requests

    def _length_problem(self) -> tuple[int, str] | None:
        """Why the body cannot be accepted from its headers alone, or None."""
        if self.headers.get("Transfer-Encoding"):
            return 411, "send the body with a Content-Length (no Transfer-Encoding)"
        text = self.headers.get("Content-Length")
        if text is None:
            return 411, "a POST needs a Content-Length header"
        try:
            length = int(text)
            if length < 0:
                raise ValueError
        except ValueError:
            return 400, f"bad Content-Length {text!r}"
        limit = self.server.workspace.body_limit
        if length > limit:
            return 413, (
                f"request body of {length} bytes is over the limit of {limit} bytes "
                f"(4 x width x height + 1 MiB)"
            )
        return None

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it (``Expect: 100-continue``)."""
        problem = self._length_problem() if self.command == "POST" else None
        if problem is not None:
            self._body_read = True  # nothing sent yet: no need to drain it
            self.close_connection = True
            self._send_refusal(*problem)
            return False
        return super().handle_expect_100()

    def _read_body(self) -> bytes:
        self._body_read = False
        problem = self._length_problem()
        if problem is not None:
            raise RequestError(*problem)
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        if len(body) != length:
            self.close_connection = True
            raise RequestError(400, f"the body ended after {len(body)} of {length} bytes")
        self._body_read = True
        content_type = self.headers.get("Content-Type")
        if content_type is None:
            raise RequestError(415, "a POST needs Content-Type: image/png")
        if content_type.split(";")[0].strip().lower() != "image/png":
            raise RequestError(
                415, f"the body must be Content-Type: image/png, got {content_type!r}"
            )
        return body

    def _check_host(self) -> None:
        if not self.server.loopback:
            return
        host = self.headers.get("Host")
        if host is not None and host.lower() not in self.server.allowed_hosts():
            raise RequestError(
                403, f"Host {host!r} is not this server's address (open {self.server.url})"
            )

    def _method_of(self, query: str) -> str:
        values: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name not in POST_PARAMETERS:
                raise RequestError(
                    400, f"unknown query parameter {name!r} (known: {', '.join(POST_PARAMETERS)})"
                )
            if name in values:
                raise RequestError(400, f"query parameter {name!r} given twice")
            values[name] = value
        return self.server.workspace.check_method(
            values.get("method", self.server.workspace.method)
        )

    def _route(self, verb: str) -> None:
        self._body_read = verb != "POST"  # until _read_body has read it
        if verb != "POST" and self.headers.get("Content-Length", "0").strip() != "0":
            self.close_connection = True  # a body no route reads: never parse it as a request
        try:
            self._check_host()
            parts = urlsplit(self.path)
            route = ROUTES.get(parts.path)
            if route is None:
                raise RequestError(404, f"no such page or API: {parts.path}")
            if verb not in route:
                raise _NotAllowed(", ".join(sorted(route)))
            route[verb](self, parts.query)
        except _NotAllowed as exc:
            self._send_refusal(405, f"{self.path} takes {exc.allowed}", {"Allow": exc.allowed})
        except RequestError as exc:
            self._send_refusal(exc.status, exc.message)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # never kill the server: say it, keep serving
            text = " ".join(str(exc).split()) or type(exc).__name__
            self._send_refusal(500, f"internal error: {type(exc).__name__}: {text}")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    # ------------------------------------------------------------ the routes

    def _page(self, query: str) -> None:
        body, content_type = self.server.page_files[urlsplit(self.path).path]
        headers = {}
        if content_type.startswith("text/html"):
            headers = {
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer",
            }
        self._send(200, body, content_type, headers)

    def _image(self, query: str) -> None:
        self._send(200, self.server.workspace.image_png, "image/png")

    def _trimap(self, query: str) -> None:
        self._send(200, self.server.workspace.trimap_png, "image/png")

    def _info(self, query: str) -> None:
        self._send_json(self.server.workspace.info())

    def _methods(self, query: str) -> None:
        self._send_json(self.server.workspace.methods())

    def _alpha(self, query: str) -> None:
        body = self._read_body()
        method = self._method_of(query)
        self._send(200, self.server.workspace.alpha_png(body, method), "image/png")

    def _cutout(self, query: str) -> None:
        body = self._read_body()
        method = self._method_of(query)
        self._send(200, self.server.workspace.cutout_png(body, method), "image/png")

    def _save(self, query: str) -> None:
        body = self._read_body()
        method = self._method_of(query)
        paths = self.server.workspace.save(body, method)
        folder = str(paths[0].parent.resolve())
        self._send_json({"saved": [p.name for p in paths], "folder": folder})


class _NotAllowed(Exception):
    def __init__(self, allowed: str) -> None:
        super().__init__(allowed)
        self.allowed = allowed


ROUTES: dict[str, dict[str, Any]] = {
    **{route: {"GET": _Handler._page} for route in PAGE_FILES},
    "/image": {"GET": _Handler._image},
    "/trimap": {"GET": _Handler._trimap},
    "/api/info": {"GET": _Handler._info},
    "/api/methods": {"GET": _Handler._methods},
    "/api/alpha": {"POST": _Handler._alpha},
    "/api/cutout": {"POST": _Handler._cutout},
    "/api/save": {"POST": _Handler._save},
}
