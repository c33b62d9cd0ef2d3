"""What a verification found: each check with why it passed or failed."""

from dataclasses import dataclass, field
from typing import Any, Literal

CheckName = Literal["proof", "schema", "status", "validity"]
Format = Literal["json-ld", "vc+jwt"]


@dataclass
class Check:
    check: CheckName
    ok: bool
    detail: str


@dataclass
class Verification:
    format: Format
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def credential_id(self) -> str | None:
        value = (self.credential or {}).get("id")
        return value if isinstance(value, str) else None

    def add(self, check: CheckName, ok: bool, detail: str) -> bool:
        self.checks.append(Check(check, ok, detail))
        return ok
