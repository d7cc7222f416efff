"""Processes, ports, headless Chromium and pixels: the machinery every measurement shares."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
PAYLOADS = BENCH_DIR / "payloads"
# The flags tests/e2e/support.py uses: Debian's chromium, software WebGL, no network chatter.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url} within {seconds}s")


class Server:
    """A server process on 127.0.0.1 (gunicorn or `python -m ...`), stopped by its own process group."""

    def __init__(self, argv: list[str], port: int, env_extra: dict | None = None, name: str = "server"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = Path(tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False).name)
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(env_extra or {}))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        try:
            wait_for(self.url + "/", self.process)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log.read_text()[-3000:]}") from None

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # the group this Popen created, nothing else
            except ProcessLookupError:
                pass
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def gunicorn(app: str, workers: int = 2, threads: int = 4, env_extra: dict | None = None, name: str = "gunicorn",
             extra_args: list[str] | None = None):
    """`gunicorn APP -w 2 --threads 4` on 127.0.0.1 with the Procfile's settings (dashboard/gunicorn_config.py)."""
    port = free_port()
    executable = Path(sys.executable).with_name("gunicorn")
    argv = [str(executable) if executable.exists() else "gunicorn", app, "-c", "python:dashboard.gunicorn_config",
            "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
            *(extra_args or [])]
    return Server(argv, port, env_extra, name=name)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def painted_fraction(png: bytes, background=(255, 255, 255), tolerance: int = 12) -> float:
    """Share of pixels that differ from the background (as tests/e2e/support.py, vectorised)."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    differs = (np.abs(pixels - np.array(background, dtype=np.int16)).max(axis=2) > tolerance)
    return float(differs.mean())


def percentile(values, q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default) of a list of numbers; None when empty."""
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))


def _cpu_times() -> tuple[int, int]:
    """(all jiffies, idle jiffies) of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def wait_until_quiet(max_seconds: float = 10.0, window: float = 0.3, busy_below: float = 0.15) -> float | None:
    """Until the machine's CPUs are less than `busy_below` busy over `window` seconds; seconds waited, or None.

    Why: a new Chromium window spends about two CPU-seconds setting up its own UI (the omnibox popup's
    WebUI renderer) just as the first page starts to load; on two CPUs that is most of the difference
    between runs. A visitor's browser window is already open when they type the address.
    """
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        total0, idle0 = _cpu_times()
        time.sleep(window)
        total1, idle1 = _cpu_times()
        if 1 - (idle1 - idle0) / max(1, total1 - total0) < busy_below:
            return time.monotonic() - started
    return None
