"""Headless Chromium driven over the DevTools protocol on a pipe, with the standard library.

`--remote-debugging-pipe` makes Chromium read commands on fd 3 and write answers and
events on fd 4, each a JSON message ended by a NUL byte. Enough of the protocol to load a
page, collect every console error, uncaught exception, failed load and network request,
evaluate a script in the page, print it and take a screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe"]
TIMEOUT = 60.0


def find_chromium() -> str | None:
    """Debian's `chromium` (or another name it goes by), if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless browser with one page (a target attached in flat mode)."""

    def __init__(self, binary: str, profile: Path):
        self.binary, self.profile = binary, profile
        self.events: list[dict] = []
        self._buffer = b""
        self._next_id = 0

    # --- process and pipe ---------------------------------------------------------------
    def __enter__(self) -> Chromium:
        self.profile.mkdir(parents=True, exist_ok=True)  # a new, empty --user-data-dir
        commands_r, self._commands = os.pipe()
        self._answers, answers_w = os.pipe()

        def on_fds_3_and_4():
            # Move both ends out of the way first: either may already be fd 3 or 4.
            r = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 100)
            w = fcntl.fcntl(answers_w, fcntl.F_DUPFD, 100)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.log = open(self.profile / "chromium.log", "wb")
        self.proc = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            close_fds=False, preexec_fn=on_fds_3_and_4)
        os.close(commands_r)
        os.close(answers_w)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable", session=self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._commands, self._answers):
            os.close(fd)
        self.log.close()

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = TIMEOUT) -> dict:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = TIMEOUT) -> dict:
        """The first event `method` of the page, received before or within `timeout`."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            self.events.append(self._receive(deadline))

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise BrowserError(f"no answer from Chromium (exit code {self.proc.poll()}); "
                                   f"see {self.profile / 'chromium.log'}")
            ready, _, _ = select.select([self._answers], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._answers, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    # --- what the tests use ------------------------------------------------------------
    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        """Load `url` and wait for its load event (and a moment for late errors)."""
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": False}, session=self.session)
        self.events.clear()
        answer = self.send("Page.navigate", {"url": url}, session=self.session)
        if answer.get("errorText"):
            raise BrowserError(f"{url}: {answer['errorText']}")
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => setTimeout(r, 200))")  # late script errors

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen since `open`."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append("exception: " + details.get("exception", {}).get(
                    "description", details.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error",
                                                                             "assert"):
                found.append("console." + params["type"] + ": " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append("log: " + params["entry"]["text"])
            elif method == "Network.loadingFailed":
                found.append("failed load: " + params.get("errorText", ""))
        return found

    def requested(self) -> list[str]:
        """Every URL the page asked for since `open` (the page itself included)."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def evaluate(self, expression: str):
        """Run `expression` in the page (promises awaited) and return its value."""
        answer = self.send("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True,
                            "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in answer:
            raise BrowserError(f"script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (beyond the viewport)."""
        answer = self.send("Page.captureScreenshot",
                           {"format": "png", "captureBeyondViewport": True},
                           session=self.session)
        path.write_bytes(base64.b64decode(answer["data"]))
        return path

    def pdf(self) -> bytes:
        """The page printed to PDF (print CSS applies)."""
        answer = self.send("Page.printToPDF", {"printBackground": False},
                           session=self.session)
        return base64.b64decode(answer["data"])
