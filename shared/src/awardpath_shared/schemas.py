"""Base classes of every API's bodies: one convention for what comes in and what goes out.

Request bodies are `<Noun>Create`, `<Noun>Update` or `<Verb>Request` on `RequestBody`, which
refuses unknown fields (a misspelt optional field would otherwise be dropped silently and
take its default). Responses are `<Noun>View` on `View`, read from the domain object an
endpoint returns (attributes, or aliases for other names).
"""

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)
