"""Printing HTML to PDF with one headless Chromium over the DevTools protocol.

One browser start serves both prints of the book (the first gives the contents' page
numbers, the second prints them): the page is loaded once, the numbers are written into it
with ``Runtime.evaluate``, and it is printed again. Only our own local files are loaded;
the browser runs with a throwaway profile and is closed (killed if need be) afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHUNK = 512 * 1024
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class ChromiumError(Exception):
    pass


class Page:
    """One tab of the browser, driven over a flat DevTools session."""

    def __init__(self, socket: ClientConnection, session: str, deadline: float) -> None:
        self._socket = socket
        self._session = session
        self._deadline = deadline
        self._ids = itertools.count(1000)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return _call(self._socket, method, params, self._ids, self._deadline, session=self._session)

    def wait_for(self, event: str) -> None:
        _wait_event(self._socket, event, self._deadline, session=self._session)

    def print_pdf(self, target: Path) -> None:
        """Print the loaded page into ``target``, read back as a stream in chunks."""
        result = self.call(
            "Page.printToPDF",
            printBackground=True,
            preferCSSPageSize=True,
            displayHeaderFooter=False,
            transferMode="ReturnAsStream",
        )
        handle = result["stream"]
        with target.open("wb") as out:
            while True:
                part = self.call("IO.read", handle=handle, size=CHUNK)
                data = part.get("data", "")
                out.write(base64.b64decode(data) if part.get("base64Encoded") else data.encode("latin-1"))
                if part.get("eof"):
                    break
        self.call("IO.close", handle=handle)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise ChromiumError(str(result["exceptionDetails"])[:500])
        return result.get("result", {}).get("value")


def _call(
    socket: ClientConnection,
    method: str,
    params: dict[str, Any],
    ids: Iterator[int],
    deadline: float,
    *,
    session: str | None = None,
) -> dict[str, Any]:
    message_id = next(ids)
    message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
    if session:
        message["sessionId"] = session
    socket.send(json.dumps(message))
    while True:
        reply = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if reply.get("id") == message_id:
            if "error" in reply:
                raise ChromiumError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result


def _wait_event(socket: ClientConnection, event: str, deadline: float, *, session: str) -> None:
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("method") == event and message.get("sessionId") == session:
            return


@contextlib.contextmanager
def open_page(
    chromium: str, url: str, profile: Path, timeout: float, extra_args: Sequence[str] = ()
) -> Iterator[Page]:
    """Start Chromium, open ``url`` and wait for its load event; close everything after."""
    deadline = time.monotonic() + timeout
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        "--allow-file-access-from-files",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        *extra_args,
        "about:blank",
    ]
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own files
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    drain: threading.Thread | None = None
    try:
        endpoint, drain = _endpoint(process, deadline)
        with connect(endpoint, max_size=None, open_timeout=max(1.0, deadline - time.monotonic())) as socket:
            ids = itertools.count(1)
            attached = _call(
                socket,
                "Target.attachToTarget",
                {"targetId": _blank_tab(socket, ids, deadline), "flatten": True},
                ids,
                deadline,
            )
            page = Page(socket, attached["sessionId"], deadline)
            page.call("Page.enable")
            page.call("Page.navigate", url=url)
            page.wait_for("Page.loadEventFired")
            yield page
            with contextlib.suppress(Exception):
                _call(socket, "Browser.close", {}, ids, time.monotonic() + 5)
    except TimeoutError as exc:
        raise ChromiumError("timed out") from exc
    finally:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drain is not None:
            drain.join(timeout=1)  # it reads to the end of the log, now that the browser is gone
        if process.stderr is not None:
            process.stderr.close()


def _blank_tab(socket: ClientConnection, ids: Iterator[int], deadline: float) -> str:
    """The tab the browser opened on start (``about:blank``), or a new one if it has none.

    Printing in the start-up tab rather than a second one saves a renderer process (about
    30 MB while the book prints)."""
    targets = _call(socket, "Target.getTargets", {}, ids, deadline).get("targetInfos", [])
    for info in targets:
        if info.get("type") == "page":
            return str(info["targetId"])
    created = _call(socket, "Target.createTarget", {"url": "about:blank"}, ids, deadline)
    return str(created["targetId"])


def _drain(stream: Any) -> None:
    with contextlib.suppress(Exception):
        for _line in stream:
            pass


def _endpoint(process: subprocess.Popen[str], deadline: float) -> tuple[str, threading.Thread]:
    """The browser's DevTools address, from the line Chromium prints on start, and the thread
    that reads the rest of what it logs."""
    assert process.stderr is not None
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            if process.poll() is not None:
                raise ChromiumError("chromium exited: " + "".join(seen)[-1000:])
            continue
        seen.append(line)
        match = _LISTENING.search(line)
        if match:
            # Keep reading what Chromium logs, so a full pipe never blocks it.
            drain = threading.Thread(target=_drain, args=(process.stderr,), daemon=True)
            drain.start()
            return match.group(1), drain
    raise ChromiumError("chromium did not start in time")
