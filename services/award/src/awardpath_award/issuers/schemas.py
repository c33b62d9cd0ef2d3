"""Bodies of issuers: registering one, and its profile."""

from datetime import datetime

from pydantic import EmailStr, Field, HttpUrl

from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Name


class IssuerCreate(RequestBody):
    name: Name = Field(examples=["Center for Educator Growth"])
    url: HttpUrl = Field(examples=["https://growth.example.org"])
    email: EmailStr = Field(examples=["credentials@growth.example.org"])


class IssuerView(View):
    id: str
    name: str
    url: str
    email: str
    created_at: datetime
