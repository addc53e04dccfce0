"""Paths of the browser tests' artifacts (the live_server and browser fixtures are in tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# The README's screenshots are refreshed only on request (TONGBAN_UPDATE_SCREENSHOTS=1), so a test
# run never leaves the work tree dirty; otherwise they go with the other artifacts.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("TONGBAN_UPDATE_SCREENSHOTS") == "1"
    else ARTIFACTS / "screenshots"
)
