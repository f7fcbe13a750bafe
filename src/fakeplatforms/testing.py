"""Start a fake platform as its own process on 127.0.0.1, and steer its faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RunningFake:
    def __init__(self, platform: str, port: int, process: subprocess.Popen[bytes]) -> None:
        self.platform = platform
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(  # noqa: S310 - loopback only
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return json.loads(resp.read() or b"null")

    def faults(self, *rules: dict[str, Any]) -> None:
        """Replace the fault rules (see fakeplatforms.base)."""
        self._call("POST", "/__faults", {"rules": list(rules)})

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/__state")
        return result

    def reset(self) -> None:
        self._call("POST", "/__reset", {})


@contextmanager
def running(platform: str, port: int = 0) -> Iterator[RunningFake]:
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "fakeplatforms",
                platform,
                "--port",
                str(port),
                "--port-file",
                port_file,
            ],
        )
        try:
            deadline = time.monotonic() + 20
            while not os.path.exists(port_file):
                if process.poll() is not None:
                    raise RuntimeError(f"The fake {platform} server exited at start-up.")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The fake {platform} server did not start.")
                time.sleep(0.02)
            with open(port_file) as f:
                actual = int(f.read())
            yield RunningFake(platform, actual, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
