#!/usr/bin/env python3
"""The README's two commands, needing nothing but Python 3.11+.

    python3 scripts/dev.py run    # make .venv if needed, install the app, serve it on the shipped data
    python3 scripts/dev.py test   # install everything the tests need, then ruff and the whole test suite

Both install the versions pinned in requirements.lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("EQUITY_ATLAS_VENV", ROOT / ".venv"))
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
LOCK = ROOT / "requirements.lock"  # exact versions of everything the tests install (scripts/audit.py audits it)
SYSTEM_PACKAGES = ["chromium", "chromium-driver", "redis-server"]


def run(*command, **kwargs) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kwargs)


def ensure_venv(extras: str = "") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may run under an old python3)
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    # requirements.lock pins every package the tests ran against; as a constraints file it fixes the
    # version of whatever pyproject.toml pulls in, so a fresh machine gets the tested set, not the newest.
    stamp = VENV / f".installed{extras or '-app'}"
    wanted = install_fingerprint(extras)
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-c", LOCK, "-e", f"{ROOT}{extras}")
        stamp.write_text(wanted + "\n")


def install_fingerprint(extras: str) -> str:
    """What the install depends on, so editing pyproject.toml or requirements.lock (a pull, a branch
    switch, a regenerated lock) reinstalls, and nothing else does."""
    import hashlib

    digest = hashlib.sha256(extras.encode())
    for path in (ROOT / "pyproject.toml", LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_system_packages() -> None:
    """Browser tests need Debian's chromium; the scale-out test needs redis-server."""
    missing = [p for p, exe in zip(SYSTEM_PACKAGES, ["chromium", "chromedriver", "redis-server"], strict=True)
               if shutil.which(exe) is None]
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", *missing, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    else:
        print(f"warning: install {' '.join(missing)} (e.g. sudo apt-get install {' '.join(missing)}); "
              "tests that need them will skip locally and fail under CI=true", file=sys.stderr)


def command_run(args: list[str]) -> int:
    ensure_venv()
    return subprocess.call([str(PYTHON), "-m", "dashboard", *args], cwd=ROOT)


def command_test(args: list[str]) -> int:
    ensure_venv("[test,dev,scale]")
    ensure_system_packages()
    run(PYTHON, "-m", "ruff", "check", ".", cwd=ROOT)
    run(PYTHON, str(ROOT / "scripts" / "audit.py"), cwd=ROOT)
    return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    handler = command_run if sys.argv[1] == "run" else command_test
    return handler(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
