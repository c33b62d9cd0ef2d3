"""The assessor's workspace in a real browser: `awardpath workspace` as a process beside
`awardpath serve all`, signed in by a one-time link from `awardpath login-link`. The pages
show the queue and the blind view (evidence files playing through the workspace), take a
review (a refused one comes back with the message beside its field and nothing lost), pass
axe-core's check, carry no earner identity, and refuse a forged form or a used link. Beside
them, the public credential page an earner shares, in the same browser."""

import asyncio
import calendar
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import sign_in_link
from tests.support.award_path import Earner, evidence, open_award_path
from tests.support.browser import blocking_violations, browser_page
from tests.support.evidence_files import classroom_video, jpeg_with_metadata, pdf_with_author, upload_whole
from tests.support.oidc import identity_provider
from tests.support.polling import eventually
from tests.support.redis import redis_server
from tests.support.sign_in import token_of
from tests.support.smtp import smtp_server
from tests.support.system import RunningSystem, free_port


class Workspace:
    def __init__(self, system: RunningSystem, directory, **settings: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **system.env,
            "AWARDPATH_WORKSPACE_PORT": str(port),
            "AWARDPATH_WORKSPACE_PUBLIC_URL": self.url,
            **{f"AWARDPATH_{name.upper()}_URL": url for name, url in system.urls.items()},
            **{f"AWARDPATH_{name.upper()}": value for name, value in settings.items()},
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

    def link_for(self, role: str, subject: str) -> str:
        """A sign-in link made here rather than by a `login-link` process (tested above)."""
        return sign_in_link(WorkspaceSettings(workspace_public_url=self.url), role, subject)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


# The pages run beside `serve all` on SQLite, the embedded default.
pytestmark = pytest.mark.parametrize("system", ["all-in-one-sqlite"], indirect=True)


@pytest.fixture(scope="module")
async def workspace(system, tmp_path_factory):
    workspace = Workspace(system, tmp_path_factory.mktemp("workspace"))
    await eventually(lambda: _answers(workspace.url), timeout=60)
    yield workspace
    workspace.stop()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where the pages' screenshots go: `AWARDPATH_SCREENSHOTS` (`make screenshots` sets it
    to the README's docs/screenshots), else the test's own directory."""
    directory = Path(os.environ.get("AWARDPATH_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            return (await client.get(f"{url}/health/live")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_an_assessor_signs_in_claims_and_reads_the_blind_view_with_its_files(workspace, clients, tmp_path):
    path = await open_award_path(clients, policy="manual")
    earner = Earner()
    photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
    video = await upload_whole(path.platform, classroom_video(earner.name, bytes(4096)), "video/mp4")
    lesson_plan = await upload_whole(path.platform, pdf_with_author(earner.name), "application/pdf")
    items = evidence("attempt 1", earner)
    items[1]["files"] = [{"file_id": video["id"]}, {"file_id": photo["id"]}, {"file_id": lesson_plan["id"]}]
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
        # Played from the workspace's own origin: the browser need not reach the assessment API.
        video_src = await page.locator("video").get_attribute("src")
        assert video_src.startswith("/assessor/assignments/")
        part = await page.request.get(f"{workspace.url}{video_src}", headers={"Range": "bytes=0-9"})
        assert part.status == 206 and len(await part.body()) == 10
        document = page.locator("iframe[title^='Evidence document']")
        document_answer = await page.request.get(f"{workspace.url}{await document.get_attribute('src')}")
        assert document_answer.headers["content-type"] == "application/pdf"
        assert (await document_answer.body()).startswith(b"%PDF")
        assert "frame-ancestors 'self'" in document_answer.headers["content-security-policy"]  # the page may show it
        assert await page.get_by_text("[earner]").count() >= 1  # the evidence, redacted
        assert await blocking_violations(page) == []
        assignment_html = await page.content()
        await page.screenshot(path=tmp_path / "assignment.png", full_page=True)

        forged = await page.request.post(f"{workspace.url}/assessor/claim", form={"form_token": "not-mine"})
        assert forged.status == 403
        for odd in ("/assessor/assignments/not%3Fours", f"{video_src.split('?')[0]}"):  # a bad id; no link
            answer = await page.request.get(f"{workspace.url}{odd}")
            assert answer.status == 404 and "<h1>" in await answer.text()

        for title in ("Overview", "Practice", "Reflection"):
            await page.get_by_role("group", name=f"Your score for {title}").get_by_label("Proficient").check()
            await page.get_by_label(f"Growth feedback on {title}").fill(
                f"Your {title.lower()} shows growth; next, invite student voice."
            )
        await page.get_by_label("Resubmission", exact=False).check()  # contradicts the levels
        advice = page.locator("#recommendation-advice")
        assert await advice.inner_text() == "Every section reaches its passing level, so recommend award."
        await page.get_by_role("button", name="Send my review").click()  # the form is not sent
        assert await page.evaluate("document.querySelector('form[data-draft]').checkValidity()") is False
        # Sent anyway, as a browser without the page's script would: the server refuses it.
        await page.evaluate("document.querySelector('input[value=award]').setCustomValidity('')")
        await page.get_by_role("button", name="Send my review").click()
        message = page.locator("#error-recommendation")
        assert "the recommendation is award" in await message.inner_text()
        assert await page.get_by_label("Growth feedback on Practice").input_value() == (
            "Your practice shows growth; next, invite student voice."
        )  # nothing typed is lost
        assert await blocking_violations(page) == []
        await page.screenshot(path=tmp_path / "refused-review.png", full_page=True)

        await page.get_by_label("Award", exact=False).check()
        assert await advice.inner_text() == ""
        await page.get_by_role("button", name="Send my review").click()
        await page.wait_for_url(f"{workspace.url}/assessor?notice=reviewed")
        assert await page.locator(".notice[role=status]").inner_text() == "Your review was sent. Thank you."
        await path.wait_for_status(submission_id, "awaiting_decision")
        await page.get_by_role("button", name="Sign out").click()
        await page.goto(link)  # the link was taken
        assert await blocking_violations(page) == []  # the sign-in page
        await page.get_by_role("button", name="Continue").click()
        assert "does not work" in await page.get_by_role("heading", level=1).inner_text()
        assert await blocking_violations(page) == []  # a message page

    for leak in earner.identity_strings():
        assert leak not in queue_html and leak not in assignment_html


async def test_pages_ask_to_sign_in_and_another_role_is_not_an_assessor(workspace):
    async with httpx.AsyncClient(base_url=workspace.url) as client:
        assert (await client.get("/assessor")).status_code == 401
        assert (await client.post("/assessor/claim", data={"form_token": "x"})).status_code == 401
    async with browser_page() as page:
        await page.goto(workspace.sign_in_link("issuer", "issuer-1"))
        await page.get_by_role("button", name="Continue").click()
        response = await page.goto(f"{workspace.url}/assessor")
        assert response.status == 403
        assert await blocking_violations(page) == []
    async with browser_page() as page:  # a platform's people have no pages: the home page says so
        await page.goto(workspace.link_for("platform", "platform-1"))
        await page.get_by_role("button", name="Continue").click()
        assert await page.get_by_role("heading", level=1).inner_text() == "Your workspace"
        assert await blocking_violations(page) == []


async def test_the_credential_page_reads_in_a_browser_and_passes_the_accessibility_check(system, clients, tmp_path):
    """What a principal opening the earner's shared link sees, in chromium on a laptop and on
    a tablet: the achievement, its issuer, the verdict; no serious or critical axe finding."""
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


async def sign_in(page, workspace: Workspace, role: str, subject: str) -> None:
    await page.goto(workspace.link_for(role, subject))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_load_state()


async def score_every_section(page, level: str, feedback: str) -> None:
    for title in ("Overview", "Practice", "Reflection"):
        await page.get_by_role("group", name=f"Your score for {title}").get_by_label(level).check()
        await page.get_by_label(f"Growth feedback on {title}").fill(f"{feedback} ({title.lower()})")


async def holder_of_the_work(path, *names: str) -> str:
    """Which of the assessors `names` has the one open assignment in their queue."""

    async def holders() -> list[str]:
        return [name for name in names if (await path.assessor_get(name, "/v1/queue")).json()["items"]]

    return (await eventually(holders, lambda found: len(found) == 1))[0]


async def test_the_award_path_through_the_pages_of_assessor_issuer_and_administrator(workspace, clients, screenshots):
    """An assessor scores and recommends resubmission; the issuer, seeing the evidence photo,
    opens resubmission; the resubmission comes back to the same assessor with the earlier
    feedback shown, who recommends award; the issuer awards, then revokes; an administrator
    pauses an assessor and sees their work go to the other, who hands it back with a reason
    the administrator reads. Every page passes axe; no assessor page holds the earner's
    identity."""
    path = await open_award_path(clients, policy="manual", assessors=("assessor-a", "assessor-b"))
    earner = Earner()
    photo = await upload_whole(path.platform, jpeg_with_metadata(earner.name), "image/jpeg")
    items = evidence("attempt 1", earner)
    items[1]["files"] = [{"file_id": photo["id"]}]
    submission_id = await path.submit(earner, items=items)
    first = await holder_of_the_work(path, "assessor-a", "assessor-b")
    assessor_pages: list[str] = []

    async with browser_page() as assessor, browser_page() as issuer:
        await sign_in(assessor, workspace, "assessor", path.assessor_ids[first])
        await assessor.get_by_role("button", name="Claim the next submission").click()
        await assessor.wait_for_url("**/assessor/assignments/*")
        await score_every_section(assessor, "Developing", "You name each student; next, ask how they feel")
        await assessor.get_by_label("Resubmission", exact=False).check()
        await assessor.get_by_label("A private note to the issuer").fill("Strong start; the circles need routine.")
        await assessor.get_by_role("button", name="I need more time").click()  # a new page: the draft survives it
        await assessor.wait_for_url("**/assessor/assignments/*?notice=renewed")
        assert await assessor.get_by_role("status").inner_text() == "Your claim starts again from now."
        assert await assessor.get_by_label("Growth feedback on Practice").input_value() == (
            "You name each student; next, ask how they feel (practice)"
        )
        reflection = assessor.get_by_role("group", name="Your score for Reflection")
        assert await reflection.get_by_label("Developing").is_checked()
        assert await assessor.get_by_label("Resubmission", exact=False).is_checked()
        assert "minute" in await assessor.locator("time[data-countdown]").inner_text()
        assert await blocking_violations(assessor) == []
        assessor_pages.append(await assessor.content())
        await assessor.screenshot(path=screenshots / "assessor-scoring.png", full_page=True)
        await assessor.get_by_role("button", name="Send my review").click()
        await assessor.wait_for_url("**/assessor?notice=reviewed")

        await sign_in(issuer, workspace, "issuer", path.issuer_id)
        assert await issuer.get_by_role("heading", level=1).inner_text() == "Decisions waiting for you"
        await issuer.evaluate("window.notReloaded = true")
        await issuer.get_by_role("link", name="Decide").wait_for(timeout=60_000)  # the list refreshes itself
        assert await issuer.evaluate("window.notReloaded") is True
        assert await blocking_violations(issuer) == []
        await issuer.get_by_role("link", name="Decide").click()
        assert await issuer.get_by_text("Strong start; the circles need routine.").count() == 1
        assert await issuer.get_by_text("below the passing level").count() == 3
        await issuer.wait_for_function("document.querySelector('figure img').naturalWidth > 0")  # through the workspace
        photo_url = await issuer.locator("figure img").get_attribute("src")
        part = await issuer.request.get(f"{workspace.url}{photo_url}", headers={"Range": "bytes=0-9"})
        assert part.status == 206 and len(await part.body()) == 10
        token = await issuer.locator("input[name=form_token]").first.input_value()
        unchosen = await issuer.request.post(issuer.url, form={"form_token": token, "outcome": "", "note": "Kept."})
        assert unchosen.status == 422 and "Choose award, resubmission or a final denial." in await unchosen.text()
        await issuer.get_by_label("Not yet: the educator may resubmit").check()
        await issuer.get_by_label("A note to the educator").fill("Add a routine for the circles and resubmit.")
        assert await blocking_violations(issuer) == []
        await issuer.screenshot(path=screenshots / "issuer-decision.png", full_page=True)
        await issuer.get_by_role("button", name="Record my decision").click()
        await issuer.wait_for_url("**/issuer?notice=decided")
        await path.wait_for_status(submission_id, "resubmission_open")

        await path.resubmit(submission_id, 2)
        assert await holder_of_the_work(path, "assessor-a", "assessor-b") == first  # back to them
        await assessor.goto(f"{workspace.url}/assessor")
        assert await assessor.get_by_text("resubmission", exact=True).count() == 1
        await assessor.get_by_role("button", name="Claim the next submission").click()
        await assessor.wait_for_url("**/assessor/assignments/*")
        earlier = assessor.get_by_role("region", name="Feedback on earlier attempts")
        assert await earlier.get_by_text("Overview: Developing").count() == 1
        assert await earlier.get_by_text("You name each student; next, ask how they feel (overview)").count() == 1
        await score_every_section(assessor, "Proficient", "Your circles are now a routine; keep it up")
        await assessor.get_by_label("Award", exact=False).check()
        assert await blocking_violations(assessor) == []
        assessor_pages.append(await assessor.content())
        await assessor.get_by_role("button", name="Send my review").click()
        await assessor.wait_for_url("**/assessor?notice=reviewed")

        await issuer.goto(f"{workspace.url}/issuer")
        await eventually(lambda: _reloaded_until(issuer, "Decide"), timeout=20)
        await issuer.get_by_role("link", name="Decide").click()
        earlier_attempts = issuer.get_by_role("region", name="Earlier attempts")
        assert "Attempt 1: resubmission open" in await earlier_attempts.inner_text()
        await issuer.get_by_label("Award the micro-credential").check()
        await issuer.get_by_role("button", name="Record my decision").click()
        await issuer.wait_for_url("**/issuer?notice=decided")
        awarded = await eventually(lambda: path.submission(submission_id), lambda body: body["credential_id"])

        await issuer.get_by_role("link", name="Credentials", exact=True).click()
        row = issuer.get_by_role("row").filter(has_text="Valid")
        await row.get_by_role("button", name="Revoke").click()  # no reason given
        assert await issuer.locator(".error[id^=error-]").inner_text() == (
            "Give the reason: the earner and anyone verifying read it."
        )
        assert await blocking_violations(issuer) == []
        await issuer.get_by_role("row").filter(has_text="Valid").get_by_label("Reason").fill("Awarded in error.")
        await issuer.get_by_role("row").filter(has_text="Valid").get_by_role("button", name="Revoke").click()
        await issuer.wait_for_url("**/issuer/credentials?notice=revoked")
        assert await issuer.get_by_text("Awarded in error.", exact=False).count() == 1
        assert (await path.submission(submission_id))["credential_revoked_at"]
        assert awarded["credential_id"]

    # An administrator pauses whoever holds a new submission; it goes to the other.
    other_earner = Earner()
    await path.submit(other_earner)
    holder = await holder_of_the_work(path, "assessor-a", "assessor-b")
    async with browser_page() as admin:
        await sign_in(admin, workspace, "admin", "ops")
        assert await admin.get_by_role("heading", level=1).inner_text() == "Assessor pool"
        assert await blocking_violations(admin) == []
        await admin.evaluate("window.notReloaded = true")
        await admin.get_by_role("button", name=f"Pause {path.assessor_ids[holder]}").focus()
        await admin.keyboard.press("Enter")
        row = admin.get_by_role("row").filter(has_text=path.assessor_ids[holder])
        await row.get_by_text("Paused", exact=True).wait_for()
        assert "0 of 5" in await row.inner_text()
        # The row was swapped in place (htmx): the same page, the notice announced, and the
        # keyboard still on the row's button, which now resumes.
        assert await admin.evaluate("window.notReloaded") is True
        assert (await admin.get_by_role("status").inner_text()).strip().startswith("The assessor is paused.")
        assert await admin.evaluate("document.activeElement.textContent") == f"Resume {path.assessor_ids[holder]}"
        assert await blocking_violations(admin) == []
        assert await holder_of_the_work(path, "assessor-a", "assessor-b") != holder

        # The other assessor knows this educator: one button hands it back with that reason.
        mover = "assessor-b" if holder == "assessor-a" else "assessor-a"
        async with browser_page() as assessor:
            await sign_in(assessor, workspace, "assessor", path.assessor_ids[mover])
            await assessor.get_by_role("button", name="Claim the next submission").click()
            await assessor.wait_for_url("**/assessor/assignments/*")
            await assessor.get_by_role("button", name="I know the educator or their school").click()
            await assessor.wait_for_url("**/assessor?notice=released")
            assessor_pages.append(await assessor.content())
        await admin.goto(f"{workspace.url}/admin")
        handed_back = admin.get_by_role("region", name="Handed back recently")
        assert f"{path.assessor_ids[mover]} on" in await handed_back.inner_text()
        assert "I know the educator or their school" in await handed_back.inner_text()
        assert await blocking_violations(admin) == []
        await admin.screenshot(path=screenshots / "admin-pool.png", full_page=True)
        await admin.locator(f"a[href='/admin/reliability/{path.micro_credential_id}']").click()
        assert await admin.get_by_role("heading", level=1).inner_text() == (
            "Reliability: Belonging and Caring Classroom Climate"
        )
        assert await blocking_violations(admin) == []

        await admin.get_by_role("link", name="Issuers").click()
        await admin.get_by_label("Web address").fill("https://circles.example.org")
        await admin.get_by_label("E-mail address for credentials").fill("badges@circles.example.org")
        await admin.get_by_role("button", name="Add the issuer").click()  # no name
        assert await admin.locator("#error-name").inner_text() == "Give the issuer's name."
        assert await admin.get_by_label("Web address").input_value() == "https://circles.example.org"  # kept
        assert await blocking_violations(admin) == []
        name = f"Circle Keepers {earner.external_id[-6:]}"
        await admin.get_by_label("Name", exact=True).fill(name)
        await admin.get_by_role("button", name="Add the issuer").click()
        await admin.wait_for_url("**/admin/issuers?notice=added")
        assert await admin.get_by_role("row").filter(has_text=name).count() == 1

        # A refused change (here a form whose token is not this session's) takes the place of
        # the page's content, in place, with the keyboard on its heading.
        await admin.goto(f"{workspace.url}/admin")
        await admin.evaluate("window.notReloaded = true")
        pause = admin.get_by_role("button", name=f"Resume {path.assessor_ids[holder]}")
        await pause.locator("xpath=..").locator("input[name=form_token]").evaluate("field => field.value = 'not-mine'")
        await pause.click()
        heading = admin.get_by_role("heading", level=1)
        await heading.filter(has_text="This form was not sent from your page").wait_for()
        assert await admin.evaluate("window.notReloaded") is True
        await eventually(lambda: admin.evaluate("document.activeElement.tagName"), lambda tag: tag == "H1")
        assert await blocking_violations(admin) == []

    # Without scripts, the same button is a plain form: the pool comes back whole.
    async with browser_page(javascript=False) as admin:
        await sign_in(admin, workspace, "admin", "ops")
        await admin.get_by_role("button", name=f"Resume {path.assessor_ids[holder]}").click()
        await admin.wait_for_url("**/admin?notice=resumed")
        row = admin.get_by_role("row").filter(has_text=path.assessor_ids[holder])
        assert "Active" in await row.inner_text()

    for html in assessor_pages:
        for leak in [*earner.identity_strings(), *other_earner.identity_strings()]:
            assert leak not in html


async def _reloaded_until(page, link_name: str) -> bool:
    """Reload the page until a link named `link_name` shows (the work arrives by event)."""
    await page.reload()
    return await page.get_by_role("link", name=link_name).count() > 0


async def test_people_sign_in_with_their_organisations_identity_provider(system, clients, tmp_path):
    """OpenID Connect (authorization code, PKCE) against a real provider: its ID token's
    `awardpath_role` claim and subject make the session; an account without a role gets none;
    a callback the workspace did not start signs nobody in."""
    path = await open_award_path(clients, policy="manual")
    with identity_provider() as provider:
        provider.add_person(path.issuer_id, awardpath_role="issuer", email="lab@example.org")
        provider.add_person("teacher-without-role", email="teacher@example.org")
        workspace = Workspace(
            system, tmp_path, oidc_issuer=provider.issuer, oidc_client_id="workspace", oidc_client_secret="secret"
        )
        try:
            await eventually(lambda: _answers(workspace.url), timeout=60)
            async with browser_page() as page:
                await page.goto(f"{workspace.url}/issuer")  # not signed in: the sign-in page
                assert await page.get_by_role("heading", level=1).inner_text() == "Sign in"
                assert await blocking_violations(page) == []
                await page.get_by_role("link", name="Sign in with your organisation's account").click()
                await page.wait_for_url(f"{provider.issuer}/**")
                assert "code_challenge_method=S256" in page.url  # PKCE
                await page.locator("input[name=sub]").fill(path.issuer_id)
                await page.get_by_role("button", name="Authorize").click()
                await page.wait_for_url(f"{workspace.url}/issuer")
                assert await page.get_by_role("heading", level=1).inner_text() == "Decisions waiting for you"

            async with browser_page() as page:
                await page.goto(f"{workspace.url}/sign-in/oidc")
                await page.locator("input[name=sub]").fill("teacher-without-role")
                await page.get_by_role("button", name="Authorize").click()
                await page.wait_for_url(f"{workspace.url}/sign-in/oidc/callback*")
                assert await page.get_by_role("heading", level=1).inner_text() == "Your account has no Awardpath role"
                assert (await page.goto(f"{workspace.url}/issuer")).url == f"{workspace.url}/sign-in"

                forged = await page.goto(f"{workspace.url}/sign-in/oidc/callback?code=made-up&state=made-up")
                assert forged.status == 400
                assert (await page.goto(f"{workspace.url}/issuer")).url == f"{workspace.url}/sign-in"
        finally:
            workspace.stop()


async def test_an_administrator_e_mails_a_sign_in_link_that_signs_the_assessor_in(system, clients, tmp_path):
    """Through a real SMTP server: a refused address comes back beside its field and sends
    nothing; a good one gets a message whose link signs the assessor in, once."""
    path = await open_award_path(clients, policy="manual")
    assessor_id = path.assessor_ids["assessor-a"]
    with smtp_server() as (port, inbox):
        settings = {"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_starttls": "false"}
        workspace = Workspace(system, tmp_path, **settings, smtp_from="awardpath@district.example.org")
        try:
            await eventually(lambda: _answers(workspace.url), timeout=60)
            async with browser_page() as admin:
                await sign_in(admin, workspace, "admin", "ops")
                form = admin.get_by_role("region", name="Send someone a sign-in link")
                await form.get_by_label("They sign in as").select_option("assessor")
                await form.get_by_label("Their id in Awardpath").fill(assessor_id)
                await form.get_by_label("Their e-mail address").fill("amara@school")  # no domain to deliver to
                await form.get_by_role("button", name="Send the link").click()
                assert "e-mail address such as" in await admin.locator("#error-email").inner_text()
                assert await admin.get_by_label("Their id in Awardpath").input_value() == assessor_id  # kept
                assert await blocking_violations(admin) == []
                assert inbox.messages == []

                await admin.get_by_label("Their e-mail address").fill("amara@district.example.org")
                await admin.get_by_role("button", name="Send the link").click()
                await admin.wait_for_url("**/admin?notice=link-sent")

            [message] = await eventually(lambda: inbox.messages)
            assert message["To"] == "amara@district.example.org"
            assert message["From"] == "awardpath@district.example.org"
            [link] = re.findall(r"http://\S+/sign-in\?token=\S+", message.get_content())
            async with browser_page() as assessor:
                await assessor.goto(link)
                await assessor.get_by_role("button", name="Continue").click()
                assert await assessor.get_by_role("heading", level=1).inner_text() == "Your queue"
                assert assessor_id in await assessor.get_by_text("Signed in as").inner_text()
        finally:
            workspace.stop()


async def test_a_sign_in_link_works_once_across_the_workspace_replicas(system, tmp_path):
    """Two `awardpath workspace` processes behind one address remember taken links in one
    real Redis: a link that signed someone in on one replica is refused on the other."""
    with redis_server() as redis_url:
        replicas = []
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
            replicas.append(Workspace(system, tmp_path / name, workspace_redis_url=redis_url))
        try:
            for replica in replicas:
                await eventually(lambda url=replica.url: _answers(url), timeout=60)
            token = token_of(replicas[0].link_for("admin", "ops"))
            answers = []
            for replica in (*replicas, replicas[0]):
                async with httpx.AsyncClient(base_url=replica.url) as client:
                    answers.append((await client.post("/sign-in", data={"token": token})).status_code)
            assert answers == [303, 400, 400]
        finally:
            for replica in replicas:
                replica.stop()


async def test_the_waiting_decisions_refresh_only_when_they_changed_and_can_be_paused(workspace, clients):
    """The list asks every 15 s with the digest of what it shows: the same list is not sent
    again (204); a new decision is swapped in with the count announced and the keyboard left
    on the link it was on; "Pause updates" stops the asking until resumed."""
    path = await open_award_path(clients, policy="manual")
    await path.submit(Earner())
    await path.review_all(1, "proficient", "award")
    await path.pending_decisions(1)
    async with browser_page() as issuer:
        await sign_in(issuer, workspace, "issuer", path.issuer_id)
        status = issuer.locator("#list-status")
        assert await status.inner_text() == "1 decision waiting"
        wrapper = issuer.locator("#waiting-work")
        seen = json.loads(await wrapper.get_attribute("hx-vals"))["seen"]
        refresh = {"HX-Request": "true", "HX-Trigger": "waiting-work"}
        for digest, expected in ((seen, 204), ("something-else", 200)):
            answer = await issuer.request.get(f"{workspace.url}/issuer?seen={digest}", headers=refresh)
            assert answer.status == expected

        first = issuer.get_by_role("link", name="Decide")
        await first.focus()
        focused = await first.get_attribute("id")
        await issuer.evaluate("document.getElementById('waiting-work').dataset.old = 'yes'")
        await path.submit(Earner())
        await path.review_all(1, "proficient", "award")
        await eventually(lambda: issuer.evaluate("!document.getElementById('waiting-work').dataset.old"), timeout=60)
        assert await status.inner_text() == "2 decisions waiting"
        assert await issuer.get_by_role("link", name="Decide").count() == 2
        assert await issuer.evaluate("document.activeElement.id") == focused
        assert await blocking_violations(issuer) == []

        asked: list[str] = []
        issuer.on("request", lambda request: asked.append(request.url) if "/issuer?" in request.url else None)
        await issuer.get_by_role("button", name="Pause updates").click()
        await asyncio.sleep(17)  # longer than a refresh's interval
        assert asked == []
        await issuer.get_by_role("button", name="Resume updates").click()
        await eventually(lambda: asked, timeout=30)


async def test_long_lists_go_on_by_their_next_links(system, clients, tmp_path):
    """More waiting decisions and credentials than a page holds (one row here): each list's
    "next" link shows the rest, and a revocation refused on a later page comes back there."""
    path = await open_award_path(clients, policy="manual")
    for _ in range(4):
        await path.submit(Earner())
    await path.review_all(4, "proficient", "award")
    waiting = await path.pending_decisions(4)
    for decision in waiting[:2]:
        await path.decide(decision["id"], {"decision": "award"})
    await eventually(lambda: path.issuer.get("/v1/credentials"), lambda answer: len(answer.json()["items"]) == 2)
    workspace = Workspace(system, tmp_path, workspace_page_size="1")
    try:
        await eventually(lambda: _answers(workspace.url), timeout=60)
        async with browser_page() as issuer:
            await sign_in(issuer, workspace, "issuer", path.issuer_id)
            shown = [await issuer.locator("a[id^=decide-]").get_attribute("id")]
            await issuer.get_by_role("link", name="Next decisions").click()
            shown.append(await issuer.locator("a[id^=decide-]").get_attribute("id"))
            assert shown == [f"decide-{decision['id']}" for decision in waiting[2:]]
            assert await issuer.get_by_role("link", name="Next decisions").count() == 0
            assert await blocking_violations(issuer) == []

            await issuer.goto(f"{workspace.url}/issuer/credentials")
            revoke = issuer.locator("form[action$='/revoke']")
            first = await revoke.get_attribute("action")
            await issuer.get_by_role("link", name="Next credentials").click()
            second = await revoke.get_attribute("action")
            assert second != first and await issuer.get_by_role("link", name="Next credentials").count() == 0
            await issuer.get_by_role("button", name=re.compile("^Revoke")).click()  # no reason given
            assert "Give the reason" in await issuer.locator(".error[id^=error-]").inner_text()
            assert await revoke.get_attribute("action") == second  # still the second page
            await issuer.get_by_label("Reason", exact=False).fill("Issued twice.")
            await issuer.get_by_role("button", name=re.compile("^Revoke")).click()
            await issuer.wait_for_url("**/issuer/credentials?notice=revoked&cursor=*")  # still there
            assert "Issued twice." in await issuer.get_by_role("row").nth(1).inner_text()
    finally:
        workspace.stop()


async def tab_until(page, selector: str, presses: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (the keyboard's way there)."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_an_assessor_scores_with_the_keyboard_alone(workspace, clients):
    """On a tablet with no mouse: the page fits the width; Tab reaches the claim button, each
    section's levels and feedback, the recommendation and the send button; the arrow keys
    choose a level, Space a recommendation and Enter sends."""
    path = await open_award_path(clients, policy="manual")
    submission_id = await path.submit(Earner())
    await eventually(lambda: path.assessor_get("assessor-a", "/v1/queue"), lambda r: r.json()["items"])
    async with browser_page(768, 1024) as page:  # a tablet, with its keyboard
        await sign_in(page, workspace, "assessor", path.assessor_ids["assessor-a"])
        await tab_until(page, "form[action='/assessor/claim'] button")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/assessor/assignments/*")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        assert await blocking_violations(page) == []
        for section in ("overview", "practice", "reflection"):
            await tab_until(page, f"#level-{section}-not_yet")  # the group's first level
            await page.keyboard.press("ArrowDown")  # Developing
            await page.keyboard.press("ArrowDown")  # Proficient
            await tab_until(page, f"#feedback-{section}")
            await page.keyboard.type(f"Typed without a mouse: your {section} is strong; keep going.")
        await tab_until(page, "#recommend-award")
        await page.keyboard.press("Space")
        await tab_until(page, "form[data-draft] button[type=submit]")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/assessor?notice=reviewed")

    sent = await path.wait_for_status(submission_id, "awaiting_decision")
    [review] = sent["attempts"][0]["reviews"]
    assert {section["level"] for section in review["sections"]} == {"proficient"}
    assert review["recommendation"] == "award"


async def test_an_issuer_publishes_a_micro_credential_then_its_next_version_in_the_editor(workspace, clients):
    """The rubric editor: a preview of what educators and assessors will see, a refusal
    beside its section, publishing version 1, then version 2 with the other decision policy."""
    path = await open_award_path(clients, policy="manual")
    async with browser_page() as issuer:
        await sign_in(issuer, workspace, "issuer", path.issuer_id)
        await issuer.get_by_role("link", name="Micro-credentials").click()
        await issuer.get_by_role("link", name="Publish a new micro-credential").click()
        await issuer.get_by_label("Title", exact=True).fill("Restorative Circles")
        await issuer.get_by_label("The competency it recognises").fill("The educator repairs harm through circles.")
        await issuer.get_by_label("The key method").fill("Weekly restorative circles")
        section = issuer.get_by_role("group", name="Section 1")
        await section.get_by_label("Section title").fill("Circle practice")
        await section.get_by_label("What the educator is asked to show").fill("Show one circle you led.")
        await section.get_by_label("Levels, lowest first").fill("Not yet: no circle\nMeets the bar: a weekly circle")
        await section.get_by_label("The passing level's name").fill("Meets the bar")
        await issuer.get_by_role("button", name="Preview").click()
        preview = issuer.get_by_role("region", name="Preview")
        assert "Meets the bar passing level: a weekly circle" in " ".join((await preview.inner_text()).split())
        assert await issuer.get_by_role("group", name="Section 2").count() == 1  # a spare slot
        assert await blocking_violations(issuer) == []
        await issuer.get_by_role("button", name="Publish").click()
        await issuer.wait_for_url("**/issuer/micro-credentials?notice=published")
        row = issuer.get_by_role("row").filter(has_text="Restorative Circles")
        assert "yours to make" in await row.inner_text()
        assert await blocking_violations(issuer) == []  # the micro-credentials list

        await row.get_by_role("link", name="Edit").click()
        await issuer.get_by_label("The assessor's recommendation stands").check()
        passing = issuer.get_by_role("group", name="Section 1").get_by_label("The passing level's name")
        await passing.fill("Excellent")
        await issuer.get_by_role("button", name="Publish version 2").click()
        assert "exactly as one of the levels" in await issuer.locator("#error-section-0").inner_text()
        assert await blocking_violations(issuer) == []
        await (
            issuer.get_by_role("group", name="Section 1").get_by_label("The passing level's name").fill("Meets the bar")
        )
        await issuer.get_by_role("button", name="Publish version 2").click()
        await issuer.wait_for_url("**/issuer/micro-credentials?notice=published")

    listed = (await path.issuer.get("/v1/micro-credentials", params={"issuer_id": path.issuer_id})).json()["items"]
    [published] = [item for item in listed if item["title"] == "Restorative Circles"]
    assert (published["version"], published["decision_policy"]) == (2, "auto")
    assert [level["id"] for level in published["sections"][0]["levels"]] == ["not_yet", "meets_the_bar"]


async def test_a_new_assessor_scores_a_calibration_example_in_the_same_form_and_sees_the_agreed_levels(
    workspace, clients
):
    path = await open_award_path(clients, policy="manual", assessors=())
    agreed = [{"section_id": section, "level": "proficient"} for section in ("overview", "practice", "reflection")]
    example = {"evidence": [{"section_id": item["section_id"], "text": "An exemplary circle."} for item in agreed]}
    calibration_set = {
        "micro_credential_id": path.micro_credential_id,
        "micro_credential_version": 1,
        "threshold": 0.6,
        "examples": [{**example, "agreed_levels": agreed}],
    }
    created = await eventually(  # once the catalog event brought the rubric to assessment
        lambda: path.admin.post("/v1/calibration-sets", json=calibration_set),
        lambda response: response.status_code != 422,
    )
    assert created.status_code == 201, created.text
    newcomer = f"newcomer-{path.micro_credential_id}"
    body = {"id": newcomer, "display_name": "New", "micro_credential_ids": [path.micro_credential_id], "capacity": 2}
    assert (await path.admin.post("/v1/assessors", json=body)).status_code == 201

    async with browser_page() as page:
        await sign_in(page, workspace, "assessor", newcomer)
        await page.get_by_role("link", name="Score the next example").click()
        assert (await page.get_by_role("heading", level=1).inner_text()).startswith("Calibration: ")
        assert await page.get_by_label("A private note to the issuer").count() == 0
        assert await blocking_violations(page) == []
        for title, level in (("Overview", "Developing"), ("Practice", "Proficient"), ("Reflection", "Proficient")):
            await page.get_by_role("group", name=f"Your score for {title}").get_by_label(level).check()
            await page.get_by_label(f"Growth feedback on {title}").fill(f"Calibration feedback on {title.lower()}.")
        await page.get_by_label("Resubmission", exact=False).check()
        await page.get_by_role("button", name="Send my scores").click()

        assert await page.get_by_role("heading", level=1).inner_text() == "Your scores and the agreed levels"
        overview = page.get_by_role("row").filter(has_text="Overview")
        assert " ".join((await overview.inner_text()).split()) == "Overview Developing Proficient"
        assert "agrees" in await page.get_by_role("row").filter(has_text="Practice").inner_text()
        assert "You are qualified" in await page.get_by_role("status").inner_text()
        assert "67%" in await page.get_by_role("status").inner_text()
        assert await blocking_violations(page) == []
        await page.get_by_role("link", name="Go to your queue").click()
        assert await page.get_by_role("heading", name="Calibration first").count() == 0
