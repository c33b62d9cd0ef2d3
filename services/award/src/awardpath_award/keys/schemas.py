from datetime import datetime

from awardpath_shared.schemas import View


class IssuerKeyView(View):
    id: str
    public_key_multibase: str
    verification_method: str
    created_at: datetime
    retired_at: datetime | None
