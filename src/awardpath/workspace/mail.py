"""Sign-in links by e-mail: an administrator sends one to a person (an assessor joining the
pool, say) through the configured SMTP server (aiosmtplib). The message holds the link and
what it is for; the address is used for this message only and kept nowhere."""

from email.message import EmailMessage

import aiosmtplib

from awardpath.workspace.settings import WorkspaceSettings

ROLE_NAMES = {"assessor": "an assessor", "issuer": "an issuer", "admin": "an administrator"}


def sign_in_message(settings: WorkspaceSettings, to: str, role: str, link: str) -> EmailMessage:
    assert settings.smtp_from is not None  # mail is offered only when configured
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = "Your sign-in link to Awardpath"
    message.set_content(
        f"You can sign in to Awardpath as {ROLE_NAMES[role]} with this link:\n\n{link}\n\n"
        f"It works once, within {settings.sign_in_link_minutes:g} minutes. "
        "If you did not expect it, you can ignore this message.\n"
    )
    return message


async def send(settings: WorkspaceSettings, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=30,
    )
