"""A small HTTP server base for local stand-ins of the social platforms.

Each platform (mastodon.py, bluesky.py, facebook.py) subclasses `FakePlatform`, declares
its routes and how it words errors and rate limits, and keeps its posts in memory.
Tests, benchmarks and the browser test run it as its own process on 127.0.0.1
(`python -m fakeplatforms <platform> --port-file F`) and steer it over HTTP:

- `POST /__faults` with `{"rules": [...]}` replaces the fault rules. A rule is
  `{"method": "POST", "path": "regex", "fault": F, "times": n, "probability": p}`;
  `times` counts down (-1 means forever), `probability` (default 1) makes it random.
  F is one of: "500", "502", "503" (error body, nothing done), "429" (rate limited,
  with the platform's reset headers), "401" (token rejected), "slow" (sleep
  `seconds`, default 30, then answer normally), "lose_response" (do the work, then drop
  the connection without answering).
- `GET /__state` returns the posts and counters (`{"posts": [...], "requests": n}`).
- `POST /__reset` forgets everything.

The server is deliberately simple (threads, no persistence): it follows the
documented requests and responses of the subset Carepost uses, nothing more.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("500", "502", "503", "429", "401", "slow", "lose_response")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str] | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, str]:
        """urlencoded or multipart form fields (files as raw bytes under their name)."""
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            return {k: v for k, v in parse_multipart(self.body, ctype).items()}
        if ctype.startswith("application/json"):
            return {k: v for k, v in self.json().items()}
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def bearer(self) -> str:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else ""


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Enough of RFC 7578 for clients' uploads: fields as str, files as bytes."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        return {}
    boundary = b"--" + m.group(1).encode()
    fields: dict[str, Any] = {}
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        disp = re.search(rb'name="([^"]*)"', head)
        if not disp:
            continue
        name = disp.group(1).decode()
        is_file = b"filename=" in head
        fields[name] = data if is_file else data.decode("utf-8", "replace")
    return fields


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes -> raw, str -> text/html
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass
class Rule:
    fault: str
    method: str = ""
    path: str = ""
    times: int = 1
    probability: float = 1.0
    seconds: float = 30.0

    def applies(self, method: str, path: str) -> bool:
        if self.times == 0:
            return False
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


class FakePlatform:
    """Subclasses add routes with `route()` in `setup()` and override the error wording."""

    name = "platform"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.rules: list[Rule] = []
        self.requests = 0
        self.port = 0
        self.reset()
        self.setup()

    # -- for subclasses -------------------------------------------------------------
    def setup(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget all state (subclasses extend, calling super)."""
        self.requests = 0
        self.rules = []

    def state(self) -> dict[str, Any]:
        return {"requests": self.requests}

    def error(self, status: int, message: str) -> Response:
        return Response(status, {"error": message})

    def rate_limited(self) -> Response:
        return Response(429, {"error": "Too many requests"}, {"Retry-After": "2"})

    def unauthorised(self) -> Response:
        return Response(401, {"error": "The access token is invalid"})

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    # -- dispatch ---------------------------------------------------------------------
    def _pick_fault(self, method: str, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.applies(method, path) and random.random() < rule.probability:
                    if rule.times > 0:
                        rule.times -= 1
                    return rule
        return None

    def dispatch(self, req: Request) -> tuple[Response, Rule | None]:
        if req.path == "/__faults" and req.method == "POST":
            data = req.json()
            with self.lock:
                self.rules = [Rule(**r) for r in data.get("rules", [])]
            return Response(200, {"rules": len(self.rules)}), None
        if req.path == "/__state":
            with self.lock:
                return Response(200, self.state()), None
        if req.path == "/__reset" and req.method == "POST":
            with self.lock:
                self.reset()
            return Response(200, {"ok": True}), None
        with self.lock:
            self.requests += 1
        fault = self._pick_fault(req.method, req.path)
        if fault is not None and fault.fault in ("500", "502", "503"):
            return self.error(int(fault.fault), HTTPStatus(int(fault.fault)).phrase), None
        if fault is not None and fault.fault == "429":
            return self.rate_limited(), None
        if fault is not None and fault.fault == "401":
            return self.unauthorised(), None
        if fault is not None and fault.fault == "slow":
            time.sleep(fault.seconds)
        for method, pattern, handler in self.routes:
            if method == req.method and (m := pattern.match(req.path)):
                req.match = m
                return handler(req), fault
        return self.error(404, f"No route for {req.method} {req.path}"), None

    # -- serving ----------------------------------------------------------------------
    def serve(self, port: int = 0, port_file: str | None = None) -> None:
        platform = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without TCP_NODELAY every keep-alive answer waits ~40 ms for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    resp, fault = platform.dispatch(req)
                except Exception as exc:
                    resp, fault = platform.error(500, f"Internal error: {exc}"), None
                if fault is not None and fault.fault == "lose_response":
                    # The work is done; the client never hears about it.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if isinstance(resp.body, (dict, list)):
                    payload = json.dumps(resp.body).encode()
                    ctype = "application/json; charset=utf-8"
                elif isinstance(resp.body, bytes):
                    payload = resp.body
                    ctype = resp.headers.pop("Content-Type", "application/octet-stream")
                elif resp.body is None:
                    payload, ctype = b"", "text/plain"
                else:
                    payload = str(resp.body).encode()
                    ctype = resp.headers.pop("Content-Type", "text/html; charset=utf-8")
                self.send_response(resp.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # many workers reconnecting after dropped answers

        server = _Server(("127.0.0.1", port), _Handler)
        self.port = server.server_address[1]
        if port_file:
            with open(port_file + ".tmp", "w") as f:
                f.write(str(self.port))
            import os

            os.replace(port_file + ".tmp", port_file)
        server.serve_forever()
