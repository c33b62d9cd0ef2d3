"""The public HTML page of a credential, for the earner to share. Everything shown is escaped."""

from datetime import datetime
from html import escape
from typing import Any

from awardpath_award.verification.result import Verification


def credential_page(credential: dict[str, Any], verification: Verification, urls: dict[str, str]) -> str:
    subject = credential.get("credentialSubject", {})
    achievement = subject.get("achievement", {})
    issuer = credential.get("issuer", {})
    verdict = "Verified" if verification.verified else "Not verified"
    checks = "".join(
        f"<li>{'&#10003;' if check.ok else '&#10007;'} {escape(check.check)}: {escape(check.detail)}</li>"
        for check in verification.checks
    )
    links = "".join(f'<li><a href="{escape(href)}">{escape(label)}</a></li>' for label, href in urls.items())
    title = escape(str(achievement.get("name", "Credential")))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}
.verdict {{ padding: .5rem 1rem; border-radius: .5rem; font-weight: bold; }}
.ok {{ background: #e3f4e8; color: #14532d; }} .bad {{ background: #fde8e8; color: #7f1d1d; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p>{escape(str(achievement.get("description", "")))}</p>
<dl>
<dt>Issued by</dt><dd>{escape(str(issuer.get("name", "")))} ({escape(str(issuer.get("url", "")))})</dd>
<dt>Awarded</dt><dd>{_awarded(str(credential.get("validFrom", "")))}</dd>
<dt>Credential</dt><dd>{escape(str(credential.get("id", "")))}</dd>
</dl>
<p class="verdict {"ok" if verification.verified else "bad"}">{verdict}</p>
<ul>{checks}</ul>
<h2>Machine-readable</h2>
<ul>{links}</ul>
</main>
</body>
</html>
"""


def _awarded(valid_from: str) -> str:
    """The award date as people write it (30 November 2026), the exact time kept for machines."""
    try:
        moment = datetime.fromisoformat(valid_from)
    except ValueError:
        return escape(valid_from)
    return f'<time datetime="{escape(valid_from)}">{moment.day} {moment:%B %Y}</time>'
