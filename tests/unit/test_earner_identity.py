"""What identifies an earner: redacted from evidence text in every form, found in artifact
URLs in every form, and nothing else touched (expectations written by hand)."""

import pytest

from awardpath_submission.intake.identity import EarnerIdentity

ADA = EarnerIdentity(
    name="Ada Lovelace", email="ada@school.example.org", external_id="teacher-xq-1", organization_id="district-xq-7"
)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Ada Lovelace wrote this.", "[earner] wrote this."),
        ("ADA   LOVELACE and ada lovelace", "[earner] and [earner]"),
        ("Signed: Ada\nLovelace, Ada\t\tLovelace", "Signed: [earner], [earner]"),
        ("Ada said so; as Lovelace noted", "[earner] said so; as [earner] noted"),
        ("Lovelace's class, LOVELACE, lovelace2024", "[earner]'s class, [earner], [earner]2024"),
        ("Reach ADA@SCHOOL.EXAMPLE.ORG or ada%40school.example.org.", "Reach [earner] or [earner]."),
        ("id teacher-xq-1 (TEACHER-XQ-1) at District-XQ-7", "id [earner] ([earner]) at [earner]"),
        (
            "ada_lovelace adalovelace ada.lovelace ada-lovelace lovelace-ada LovelaceAda AdaLovelace",
            "[earner] [earner] [earner] [earner] [earner] [earner] [earner]",
        ),
        ("see https://x.org/u/ada_lovelace/adalovelace.mp4", "see https://x.org/u/[earner]/[earner].mp4"),
    ],
)
def test_every_form_of_the_earner_is_redacted_from_text(text, redacted):
    assert ADA.redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "Canada, adaptive teaching, the academy, Lovelaces and lovelaced",
        "teacher-xq-12 and teacher-xq-10 are other ids; district-xq-71 another district",
        "hash 3ada4f and 9ada0 are not the earner",
        "a@school.example.org and bada@school.example.org are someone else",
    ],
)
def test_text_that_only_resembles_the_earner_is_left_alone(text):
    assert ADA.redact(text) == text


def test_the_marker_is_never_redacted_again():
    earner = EarnerIdentity(name="Earner Smith", email="earner@example.org", external_id="earner")
    assert earner.redact("Earner Smith, earner, Smith") == "[earner], [earner], [earner]"


def test_accents_are_found_with_and_without_them():
    zoe = EarnerIdentity(name="Zoë Çelik", email="zc@example.org", external_id="e-1")
    # Composed, decomposed (e + combining diaeresis) and without accents.
    assert zoe.redact("ZOË çelik; Zoe\u0308 C\u0327elik; zoe celik") == "[earner]; [earner]; [earner]"
    assert zoe.found_in("https://files.example.org/zoe-celik.pdf") == ["name"]
    assert zoe.found_in("https://xn--zo-ija.example.org/a.pdf") == ["name"]  # the host spells zoë


def test_values_too_short_to_identify_are_not_looked_for():
    earner = EarnerIdentity(name="Ada K Lovelace", email="ada@example.org", external_id="7", organization_id="9")
    assert earner.redact("K-12, 7 students, room 9; Ada K Lovelace") == "K-12, 7 students, room 9; [earner]"
    assert earner.redact("adaklovelace") == "[earner]"


@pytest.mark.parametrize(
    ("url", "kinds"),
    [
        ("https://files.example.org/ada-lovelace.pdf", ["name"]),
        ("https://files.example.org/Ada_Lovelace/practice.mp4", ["name"]),
        ("https://files.example.org/adalovelace.pdf", ["name"]),
        ("https://files.example.org/ADA.LOVELACE/x.pdf", ["name"]),
        ("https://files.example.org/lovelace-ada-2024.mp4", ["name"]),
        ("https://files.example.org/lovelace_practice.mp4", ["name"]),
        ("https://files.example.org/Ada%20Lovelace.pdf", ["name"]),
        ("https://ada.example.org/practice.pdf", ["name"]),
        ("https://files.example.org/u/Teacher-XQ-1/practice.pdf", ["external id"]),
        ("https://files.example.org/district-xq-7/practice.pdf", ["organisation id"]),
        # The address starts with the first name: both are found.
        ("https://files.example.org/p.pdf?owner=ada%40school.example.org", ["e-mail", "name"]),
        ("https://files.example.org/p.pdf?owner=ada%2540school.example.org", ["e-mail", "name"]),
        ("https://files.example.org/p.pdf?owner=Ada@School.Example.org", ["e-mail", "name"]),
    ],
)
def test_an_url_that_identifies_the_earner_is_found(url, kinds):
    assert sorted(ADA.found_in(url)) == kinds


@pytest.mark.parametrize(
    "url",
    [
        "https://files.example.org/practice.pdf",
        "https://cdn.example.org/v/3ada9f0c/clip.mp4",
        "https://canada.example.org/academy/adaptive.pdf",
        "https://files.example.org/teacher-xq-12/practice.pdf",
        "https://files.example.org/p.pdf?owner=someone%40school.example.org",
    ],
)
def test_an_url_that_identifies_nobody_is_not_found(url):
    assert ADA.found_in(url) == []
