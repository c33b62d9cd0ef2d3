"""The issuer's rubric editor as a plain form: a published definition fills it, a filled
form becomes the award API's body again, and what the form itself can tell is wrong is
named by field."""

from awardpath.workspace.rubric_form import definition_body, definition_values, section_count
from tests.support.award_path import micro_credential_definition

PUBLISHED = {
    **micro_credential_definition("issuer-1", policy="auto", max_attempts=2),
    "id": "mc-1",
    "version": 4,
    "turnaround_business_days": 7,
}
PUBLISHED["sections"][0]["levels"][2]["description"] = "Check-in circles are a daily routine"


def test_a_published_definition_round_trips_through_the_form():
    values = definition_values(PUBLISHED)
    assert values["section-0-levels"] == "Not yet\nDeveloping\nProficient: Check-in circles are a daily routine"
    assert values["section-0-passing"] == "Proficient"
    definition = definition_body(
        {**values, "section-3-title": "", "section-3-prompt": "", "section-3-levels": ""}, "issuer-1"
    )

    assert definition.errors == {}
    wanted = {key: PUBLISHED[key] for key in ("title", "competency", "key_method", "issuer_id", "decision_policy")}
    assert {key: definition.body[key] for key in wanted} == wanted
    assert (definition.body["max_attempts"], definition.body["turnaround_business_days"]) == (2, 7)
    for sent, published in zip(definition.body["sections"], PUBLISHED["sections"], strict=True):
        assert sent["id"] == published["id"] and sent["passing_level"] == published["passing_level"]
        assert [level["id"] for level in sent["levels"]] == [level["id"] for level in published["levels"]]
    assert definition.section_fields == ["section-0", "section-1", "section-2"]  # the empty slot left out


def test_a_new_section_gets_ids_from_its_names_and_mistakes_are_named_by_field():
    values = {
        "title": "Restorative Circles",
        "max_attempts": "three",
        "turnaround_business_days": "10",
        "section-0-title": "Circle Practice",
        "section-0-prompt": "Show a circle.",
        "section-0-levels": "Not yet: no circle\n  Meets the bar: weekly circles  \n\n",
        "section-0-passing": "meets the BAR",
        "section-1-title": "Reflection",
        "section-1-prompt": "Reflect.",
        "section-1-levels": "Only one level",
        "section-1-passing": "Only one level",
        "section-2-title": "Student voice",
        "section-2-prompt": "Show it.",
        "section-2-levels": "Low\nHigh",
        "section-2-passing": "Medium",
    }
    definition = definition_body(values, "issuer-1")

    [section] = definition.body["sections"]
    assert section["id"] == "circle_practice" and section["passing_level"] == "meets_the_bar"
    assert section["levels"] == [
        {"id": "not_yet", "name": "Not yet", "description": "no circle"},
        {"id": "meets_the_bar", "name": "Meets the bar", "description": "weekly circles"},
    ]
    assert definition.errors == {
        "max_attempts": "Give a whole number.",
        "section-1": "Give at least two levels, one per line, lowest first.",
        "section-2": "Name the passing level exactly as one of the levels is named.",
    }
    assert definition.field_of(["body", "sections", 0, "levels"]) == "section-0"
    assert definition.field_of(["body", "title"]) == "title"
    assert definition.field_of(["body"]) == "form"


def test_the_form_counts_sections_up_to_the_last_with_anything_in_it():
    assert section_count({"section-0-title": "A", "section-1-title": "", "section-2-title": " "}) == 1
    assert section_count({"section-0-title": "", "section-1-title": "", "section-1-levels": "x"}) == 2
    assert section_count({}) == 0
