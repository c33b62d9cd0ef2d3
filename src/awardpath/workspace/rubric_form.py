"""The issuer's micro-credential editor as a plain form (no script needed): the definition's
fields, and per rubric section a title, a prompt, its levels as lines of text ("Name:
what it looks like", lowest first) and the passing level's name. `definition_values` fills
the form from a published version; `definition_body` turns a filled form back into the
award API's body. The API validates the body; its refusals are mapped back to the fields."""

import re
from dataclasses import dataclass, field
from typing import Any

from awardpath_shared.rubrics import RubricSection

FIELDS = ("title", "competency", "key_method", "max_attempts", "decision_policy", "turnaround_business_days")


def definition_values(definition: dict[str, Any]) -> dict[str, str]:
    values = {name: str(definition[name]) for name in FIELDS}
    for index, section in enumerate(definition["sections"]):
        passing = RubricSection.model_validate(section).level_name(section["passing_level"])
        values |= {
            f"section-{index}-id": section["id"],
            f"section-{index}-title": section["title"],
            f"section-{index}-prompt": section["prompt"],
            f"section-{index}-levels": "\n".join(_level_line(level) for level in section["levels"]),
            f"section-{index}-passing": passing,
        }
    return values


def section_count(values: dict[str, str]) -> int:
    """How many sections the form holds: up to the last one with anything in it (sections
    are numbered from 0 without gaps; empty ones at the end are spare slots)."""
    count, index = 0, 0
    while f"section-{index}-title" in values:
        if any(values.get(f"section-{index}-{part}", "").strip() for part in ("title", "prompt", "levels")):
            count = index + 1
        index += 1
    return count


@dataclass
class Definition:
    """A filled form read: the API body, what the form itself finds wrong (by field), and
    which form section each of the body's sections came from."""

    body: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    section_fields: list[str] = field(default_factory=list)

    def field_of(self, location: list[Any]) -> str:
        """The form field an API refusal's location (`["body", "sections", 1, ...]`) is about."""
        if location[:2] == ["body", "sections"] and len(location) > 2 and isinstance(location[2], int):
            return self.section_fields[location[2]] if location[2] < len(self.section_fields) else "form"
        if len(location) > 1 and location[1] in FIELDS:
            return str(location[1])
        return "form"


def definition_body(values: dict[str, str], issuer_id: str) -> Definition:
    """A section whose title, prompt and levels are all empty is left out (the spare slot)."""
    definition = Definition(body={name: values.get(name, "").strip() for name in FIELDS} | {"issuer_id": issuer_id})
    sections = []
    for index in range(section_count(values)):
        section, problem = _section(values, index)
        if problem:
            definition.errors[f"section-{index}"] = problem
        elif section:
            sections.append(section)
            definition.section_fields.append(f"section-{index}")
    definition.body["sections"] = sections
    for number in ("max_attempts", "turnaround_business_days"):
        if definition.body[number].isdigit():
            definition.body[number] = int(definition.body[number])
        else:
            definition.errors[number] = "Give a whole number."
    if not sections and not definition.errors:
        definition.errors["section-0"] = "A rubric needs at least one section."
    return definition


def _section(values: dict[str, str], index: int) -> tuple[dict[str, Any] | None, str | None]:
    title, prompt = values.get(f"section-{index}-title", "").strip(), values.get(f"section-{index}-prompt", "").strip()
    lines = [line.strip() for line in values.get(f"section-{index}-levels", "").splitlines() if line.strip()]
    if not (title or prompt or lines):
        return None, None
    if not (title and prompt):
        return None, "Give the section a title and a prompt."
    levels = [_level(line) for line in lines]
    if len(levels) < 2:
        return None, "Give at least two levels, one per line, lowest first."
    passing = values.get(f"section-{index}-passing", "").strip().casefold()
    passing_level = next((level["id"] for level in levels if level["name"].casefold() == passing), None)
    if passing_level is None:
        return None, "Name the passing level exactly as one of the levels is named."
    section_id = values.get(f"section-{index}-id", "").strip() or _key(title)
    return {"id": section_id, "title": title, "prompt": prompt, "levels": levels, "passing_level": passing_level}, None


def _level(line: str) -> dict[str, Any]:
    name, _, description = line.partition(":")
    level: dict[str, Any] = {"id": _key(name), "name": name.strip()}
    if description.strip():
        level["description"] = description.strip()
    return level


def _level_line(level: dict[str, Any]) -> str:
    return f"{level['name']}: {level['description']}" if level.get("description") else level["name"]


def _key(text: str) -> str:
    """An id made of a name: `Not yet` is `not_yet`."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:64] or "section"
