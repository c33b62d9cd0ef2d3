"""The scoring form's refusals land beside the field they are about."""

from awardpath.workspace.review_form import field_errors

RUBRIC = [{"id": "overview"}, {"id": "practice"}]


def test_a_rule_about_a_section_lands_beside_that_section():
    problem = {"type": ".../review-feedback-too-short", "detail": "needs feedback", "section_id": "practice"}
    assert field_errors(problem, RUBRIC) == {"section-practice": "needs feedback"}


def test_an_unreadable_field_is_named_by_its_position_in_the_rubric():
    problem = {
        "type": ".../validation-error",
        "errors": [
            {"loc": ["body", "sections", 1, "level"], "msg": "too short"},
            {"loc": ["body", "recommendation"], "msg": "not one of"},
        ],
    }
    assert field_errors(problem, RUBRIC) == {
        "section-practice": "Choose a level for this section.",
        "recommendation": "Choose award or resubmission.",
    }


def test_anything_else_is_said_above_the_button():
    assert field_errors({"type": ".../conflict", "title": "Assignment completed"}, RUBRIC) == {
        "form": "Assignment completed"
    }
