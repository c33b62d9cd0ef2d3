"""One earner's identity and every form it can leak in, written out by hand, with a search
for them in what must never carry it (events, blind views, the assessment database)."""

import re

ADA = {
    "external_id": "teacher-xq-1",
    "name": "Ada Lovelace",
    "email": "ada@school.example.org",
    "organization_id": "district-xq-7",
}

# Evidence text carrying each form a tester saw reach the assessor.
EVERY_FORM = (
    "I am Ada Lovelace (ADA   LOVELACE, ada lovelace, Ada\nLovelace). Ada runs circles; Lovelace's "
    "students talk. Mail ada@school.example.org or ada%40school.example.org; I am teacher-xq-1 "
    "at district-xq-7. Find me as ada_lovelace, adalovelace, ada.lovelace, ada-lovelace, lovelace-ada."
)

# Searched case-insensitively; every slug contains "lovelace", every e-mail form "ada".
LEAKS = (
    "ada",
    "lovelace",
    "ada lovelace",
    "ada_lovelace",
    "adalovelace",
    "ada.lovelace",
    "ada-lovelace",
    "lovelace-ada",
    "ada@school.example.org",
    "ada%40school.example.org",
    "teacher-xq-1",
    "district-xq-7",
)


def leaks_in(text: str) -> list[str]:
    """The forms of Ada found in `text`. Short forms count only standing alone, so the hex
    digits of an id ("0193ada1") are not taken for her name."""
    found = []
    for form in LEAKS:
        pattern = re.escape(form) if len(form) > 3 else rf"(?<![0-9a-z]){re.escape(form)}(?![0-9a-z])"
        if re.search(pattern, text, re.IGNORECASE):
            found.append(form)
    return found
