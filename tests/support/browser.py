"""Pages in a real browser: Debian's chromium driven by Playwright (headless, nothing
downloaded; `make test` installs both), and axe-core's accessibility rules run in the page."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / ".tools" / "axe-core" / "axe.min.js"
# The impacts a page must not have (WCAG 2.2 AA rules and best practices).
BLOCKING = ("serious", "critical")


@asynccontextmanager
async def browser_page(width: int = 1280, height: int = 800, *, javascript: bool = True) -> AsyncIterator[Page]:
    """A page of a fresh headless chromium (a laptop's viewport by default; scripts off when
    `javascript` is false, as in a browser without them), closed after."""
    async with async_playwright() as playwright:
        # As root (CI), chromium runs only without its sandbox; the pages are our own.
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": width, "height": height}, java_script_enabled=javascript)
            yield page
        finally:
            await browser.close()


async def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now: rule, impact, the
    elements (CSS selectors) and why."""
    # Evaluated, not added as a script tag: the page's Content-Security-Policy stays in force.
    await page.evaluate(AXE.read_text())
    result = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "nodes": [node["target"] for node in violation["nodes"]],
            "help": violation["help"],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]
