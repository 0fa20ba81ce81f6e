"""report.html in a real browser: headless Chromium opens it from file:// with no network.

Skips when Chromium is absent, unless MOJALOOP_PERF_BROWSER_REQUIRED=1 (CI: apt-get install chromium).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mojaloop_perf.report import synthetic, write_report
from tests.report.browser import find_chromium, open_page


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("MOJALOOP_PERF_BROWSER_REQUIRED") == "1":
            pytest.fail("chromium not found and MOJALOOP_PERF_BROWSER_REQUIRED=1")
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    return binary


@pytest.mark.parametrize("with_transactions", [True, False], ids=["local", "seconds-only"])
def test_the_report_opens_offline_with_every_image_loaded(
    chromium: str, tmp_path: Path, with_transactions: bool
) -> None:
    run = synthetic.write_run(
        tmp_path / "20270115T080000Z", count=2000, tps=40, with_transactions=with_transactions
    )
    page = write_report(run, echo=lambda line: None)
    seen = open_page(chromium, page.as_uri())
    assert seen.title == "synthetic — run 20270115T080000Z"
    assert seen.errors == []
    expected = 5 if with_transactions else 4
    assert len(seen.images) == expected
    assert all(i["complete"] and i["naturalWidth"] > 0 for i in seen.images), seen.images
    assert {i["scheme"] for i in seen.images} == {"data"}
    assert [u for u in seen.requests if not u.startswith(("file:", "data:"))] == []


def test_the_probe_sees_a_broken_image_and_a_network_request(chromium: str, tmp_path: Path) -> None:
    """The browser check can fail: a page with a missing image and a remote one."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><title>bad</title><img src="missing.png">'
        '<img src="https://example.invalid/x.png">'
    )
    seen = open_page(chromium, page.as_uri())
    assert [i["naturalWidth"] for i in seen.images] == [0, 0]
    assert seen.errors  # failed loads are reported
    assert "https://example.invalid/x.png" in seen.requests
