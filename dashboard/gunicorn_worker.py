"""A gthread worker that slow clients cannot starve: gunicorn's own, with a read deadline and app slots.

Why. A gthread worker hands each new connection to a thread, which then blocks reading the request.
A client that sends its headers a byte at a time (slowloris) or its body slowly keeps that thread for
as long as it likes, so 16 such connections held every thread of two 4-thread workers and the app
answered nobody for 20 s. Two changes, no new dependency:

- every request must arrive whole (headers and body) within EQUITY_ATLAS_REQUEST_READ_SECONDS
  (default 5) of its first byte, or the connection is dropped. Browsers and proxies send a request
  in one go; only a stalling client comes near the limit, and it loses its thread after 5 s;
- many threads (gunicorn_config: 32) so waiting on slow clients costs only an idle thread, while
  at most EQUITY_ATLAS_APP_SLOTS (default 4) requests per worker run the app at once, their bodies
  already read: CPU and memory stay what 4 threads used, and a slow body cannot hold an app slot.

This protects a worker on its own; in production a buffering reverse proxy (nginx) in front is still
recommended (README, "Deployment posture"), since it absorbs any number of slow clients.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time

from gunicorn.workers.gthread import ThreadWorker

from .security import MAX_REQUEST_BYTES

READ_SECONDS = float(os.environ.get("EQUITY_ATLAS_REQUEST_READ_SECONDS", "5"))
APP_SLOTS = int(os.environ.get("EQUITY_ATLAS_APP_SLOTS", "4"))


class DeadlineSocket:
    """A client socket whose reads for one request stop at a deadline counted from that request's first read.

    Past the deadline recv() returns b"" (end of stream), which gunicorn treats as a client that went
    away: it closes the connection quietly instead of logging a traceback per attacker.
    """

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._limit: float | None = None
        self._deadline: float | None = None

    def arm(self, seconds: float) -> None:
        """Start a new request's clock at its first read, not now: the connection may be idle until then."""
        self._limit, self._deadline = seconds, None

    def recv(self, size: int, *flags) -> bytes:
        if self._limit is None:
            return self._sock.recv(size, *flags)
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._limit
        remaining = self._deadline - now
        if remaining <= 0:
            return b""
        previous = self._sock.gettimeout()
        self._sock.settimeout(remaining if previous is None else min(previous, remaining))
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return b""
        finally:
            self._sock.settimeout(previous)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def slotted_app(app, slots: threading.BoundedSemaphore):
    """The WSGI app behind a semaphore, entered only once the request body has been read in full."""

    def call(environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        stream = environ.get("wsgi.input")
        if stream is not None and environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS"):
            # Read at most one byte past the cap: Flask then answers 413 from what it is given.
            if not (length.isdigit() and int(length) > MAX_REQUEST_BYTES):
                environ["wsgi.input"] = io.BytesIO(stream.read(MAX_REQUEST_BYTES + 1))
        with slots:
            return app(environ, start_response)

    return call


class SlowClientWorker(ThreadWorker):
    """gunicorn's gthread worker with a per-request read deadline and a bound on requests in the app."""

    def init_process(self):
        self.app_slots = threading.BoundedSemaphore(max(1, min(APP_SLOTS, self.cfg.threads)))
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        self.wsgi = slotted_app(self.wsgi, self.app_slots)

    def handle(self, conn):
        if not self.cfg.is_ssl:  # TLS belongs at the proxy; a wrapped TLS socket keeps gunicorn's behaviour
            if not isinstance(conn.sock, DeadlineSocket):
                conn.sock = DeadlineSocket(conn.sock)
            conn.sock.arm(READ_SECONDS)
        return super().handle(conn)
