"""The scoring form: the review body it sends to the assessment API, and the API's refusal
turned into a message beside the field it is about (`section-<id>`, `recommendation`, or
`form` when it is about nothing in particular)."""

from typing import Any

from starlette.datastructures import FormData


def review_body(form: FormData, rubric: list[dict[str, Any]]) -> dict[str, Any]:
    note = str(form.get("note") or "").strip()
    return {
        "sections": [
            {
                "section_id": section["id"],
                "level": str(form.get(f"level-{section['id']}") or ""),
                "feedback": str(form.get(f"feedback-{section['id']}") or ""),
            }
            for section in rubric
        ],
        "recommendation": str(form.get("recommendation") or ""),
        "note_to_issuer": note or None,
    }


def field_errors(problem: dict[str, Any], rubric: list[dict[str, Any]]) -> dict[str, str]:
    if "section_id" in problem:
        return {f"section-{problem['section_id']}": str(problem.get("detail"))}
    if str(problem.get("type", "")).endswith("/review-recommendation-contradicts-levels"):
        return {"recommendation": str(problem.get("detail"))}
    errors: dict[str, str] = {}
    for finding in problem.get("errors", []):
        location = list(finding.get("loc", []))
        if location[:2] == ["body", "sections"] and len(location) > 3 and isinstance(location[2], int):
            field = "a level" if location[3] == "level" else "feedback"
            errors.setdefault(f"section-{rubric[location[2]]['id']}", f"Choose {field} for this section.")
        elif "recommendation" in location:
            errors.setdefault("recommendation", "Choose award or resubmission.")
    return errors or {"form": str(problem.get("detail") or problem.get("title"))}
