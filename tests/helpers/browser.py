"""Where the page tests find their browser: Debian's chromium, headless, offline (the
``browser`` fixture in tests/conftest.py starts it)."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
