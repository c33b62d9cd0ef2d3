"""The assessor's workspace in a real browser: `awardpath workspace` as a process beside
`awardpath serve all`, signed in by a one-time link from `awardpath login-link`. The pages
show the queue and the blind view (evidence files playing from their signed links), take a
review (a refused one comes back with the message beside its field and nothing lost), pass
axe-core's check, carry no earner identity, and refuse a forged form or a used link. Beside
them, the public credential page an earner shares, in the same browser."""

import calendar
import subprocess
import sys

import httpx
import pytest

from tests.support.award_path import Earner, evidence, open_award_path
from tests.support.browser import blocking_violations, browser_page
from tests.support.databases import create_database, drop_database
from tests.support.evidence_files import classroom_video, jpeg_with_metadata, upload_whole
from tests.support.polling import eventually
from tests.support.system import RunningSystem, free_port


class Workspace:
    def __init__(self, system: RunningSystem, directory) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **system.env,
            "AWARDPATH_WORKSPACE_PORT": str(port),
            "AWARDPATH_WORKSPACE_PUBLIC_URL": self.url,
            **{f"AWARDPATH_{name.upper()}_URL": url for name, url in system.urls.items()},
        }
        self.log = (directory / "workspace.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "awardpath", "workspace"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def sign_in_link(self, role: str, subject: str) -> str:
        made = subprocess.run(
            [sys.executable, "-m", "awardpath", "login-link", role, subject],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return made.stdout.strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="module")
async def running(tmp_path_factory):
    directory = tmp_path_factory.mktemp("workspace")
    database = await create_database("sqlite", directory)
    system = RunningSystem(database, directory / "awardpath.log")
    system.start()
    workspace = Workspace(system, directory)
    await eventually(lambda: _answers(workspace.url), timeout=60)
    yield system, workspace
    workspace.stop()
    system.stop()
    await drop_database(database)


@pytest.fixture
async def clients(running):
    """Authenticated API clients of the running system, closed after the test."""
    system, _ = running
    opened = []

    def make(service, role, subject="someone"):
        opened.append(system.client(service, role, subject))
        return opened[-1]

    yield make
    for client in opened:
        await client.aclose()


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            return (await client.get(f"{url}/health/live")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_an_assessor_signs_in_claims_and_reads_the_blind_view_with_its_files(running, clients, tmp_path):
    _, workspace = running
    path = await open_award_path(clients, policy="manual")
    earner = Earner()
    photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
    video = await upload_whole(path.platform, classroom_video(earner.name, bytes(4096)), "video/mp4")
    items = evidence("attempt 1", earner)
    items[1]["files"] = [{"file_id": video["id"]}, {"file_id": photo["id"]}]
    submission_id = await path.submit(earner, items=items)
    await eventually(lambda: path.assessor_get("assessor-a", "/v1/queue"), lambda r: r.json()["items"])
    link = workspace.sign_in_link("assessor", path.assessor_ids["assessor-a"])

    async with browser_page() as page:
        await page.goto(link)
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_url(f"{workspace.url}/assessor")
        assert await page.get_by_role("heading", level=1).inner_text() == "Your queue"
        assert await page.get_by_role("cell", name="Belonging and Caring Classroom Climate", exact=True).count() == 1
        assert await blocking_violations(page) == []
        queue_html = await page.content()
        await page.screenshot(path=tmp_path / "queue.png", full_page=True)

        await page.get_by_role("button", name="Claim the next submission").click()
        await page.wait_for_url(f"{workspace.url}/assessor/assignments/*")
        assert await page.get_by_role("heading", level=1).inner_text() == "Belonging and Caring Classroom Climate"
        assert await page.locator("video").count() == 1 and await page.locator("img").count() == 1
        await page.wait_for_function("document.querySelector('img').naturalWidth > 0")  # the photo loaded
        assert await page.get_by_text("[earner]").count() >= 1  # the evidence, redacted
        assert await blocking_violations(page) == []
        assignment_html = await page.content()
        await page.screenshot(path=tmp_path / "assignment.png", full_page=True)

        forged = await page.request.post(f"{workspace.url}/assessor/claim", form={"form_token": "not-mine"})
        assert forged.status == 403

        for title in ("Overview", "Practice", "Reflection"):
            await page.get_by_role("group", name=f"Your score for {title}").get_by_label("Proficient").check()
            await page.get_by_label(f"Growth feedback on {title}").fill(
                f"Your {title.lower()} shows growth; next, invite student voice."
            )
        await page.get_by_label("Resubmission", exact=False).check()  # contradicts the levels
        await page.get_by_role("button", name="Send my review").click()
        message = page.locator("#error-recommendation")
        assert "the recommendation is award" in await message.inner_text()
        assert await page.get_by_label("Growth feedback on Practice").input_value() == (
            "Your practice shows growth; next, invite student voice."
        )  # nothing typed is lost
        assert await blocking_violations(page) == []
        await page.screenshot(path=tmp_path / "refused-review.png", full_page=True)

        await page.get_by_label("Award", exact=False).check()
        await page.get_by_role("button", name="Send my review").click()
        await page.wait_for_url(f"{workspace.url}/assessor?notice=reviewed")
        assert await page.get_by_role("status").inner_text() == "Your review was sent. Thank you."
        await path.wait_for_status(submission_id, "awaiting_decision")
        await page.get_by_role("button", name="Sign out").click()
        await page.goto(link)  # the link was taken
        await page.get_by_role("button", name="Continue").click()
        assert "does not work" in await page.get_by_role("heading", level=1).inner_text()

    for leak in earner.identity_strings():
        assert leak not in queue_html and leak not in assignment_html


async def test_pages_ask_to_sign_in_and_another_role_is_not_an_assessor(running):
    _, workspace = running
    async with httpx.AsyncClient(base_url=workspace.url) as client:
        assert (await client.get("/assessor")).status_code == 401
        assert (await client.post("/assessor/claim", data={"form_token": "x"})).status_code == 401
    async with browser_page() as page:
        await page.goto(workspace.sign_in_link("issuer", "issuer-1"))
        await page.get_by_role("button", name="Continue").click()
        response = await page.goto(f"{workspace.url}/assessor")
        assert response.status == 403
        assert await blocking_violations(page) == []


async def test_the_credential_page_reads_in_a_browser_and_passes_the_accessibility_check(running, clients, tmp_path):
    """What a principal opening the earner's shared link sees, in chromium on a laptop and on
    a tablet: the achievement, its issuer, the verdict; no serious or critical axe finding."""
    system, _ = running
    path = await open_award_path(clients, policy="auto", assessors=("assessor-a",))
    earner = Earner()
    submission = await path.award(earner)
    url = f"{system.urls['award']}/v1/credentials/{submission['credential_id']}/page"
    for width, height in ((1280, 800), (768, 1024)):
        async with browser_page(width, height) as page:
            await page.goto(url)
            assert await page.get_by_role("heading", level=1).inner_text() == "Belonging and Caring Classroom Climate"
            assert await page.get_by_text("Teaching Lab", exact=False).count() == 1
            assert await page.locator(".verdict").inner_text() == "Verified"
            awarded = await page.locator("time").get_attribute("datetime")  # 2026-11-30T04:38:26Z
            month = calendar.month_name[int(awarded[5:7])]
            assert await page.locator("time").inner_text() == f"{int(awarded[8:10])} {month} {awarded[:4]}"
            assert await blocking_violations(page) == []
            assert earner.email not in await page.content()
            await page.screenshot(path=tmp_path / f"credential-{width}.png", full_page=True)
