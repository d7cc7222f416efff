"""Browser fixtures for the end-to-end tests (the machinery is in support.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import app_url, browser, page  # noqa: E402,F401
