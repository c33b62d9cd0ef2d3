"""The browser harness itself: chromium renders a page and axe-core's check finds a serious
violation where there is one (so a clean result on a real page means something)."""

from tests.support.browser import blocking_violations, browser_page

UNLABELLED = "<!doctype html><html lang='en'><title>Form</title><main><input type='text'></main></html>"
LABELLED = (
    "<!doctype html><html lang='en'><title>Form</title>"
    "<main><label for='name'>Name</label><input id='name' type='text'></main></html>"
)


async def test_axe_finds_an_unlabelled_field_and_passes_a_labelled_one():
    async with browser_page() as page:
        await page.set_content(UNLABELLED)
        assert [violation["rule"] for violation in await blocking_violations(page)] == ["label"]
        await page.set_content(LABELLED)
        assert await blocking_violations(page) == []
