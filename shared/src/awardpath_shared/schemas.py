"""Base classes of every API's bodies: one convention for what comes in and what goes out.

Request bodies are `<Noun>Create`, `<Noun>Update` or `<Verb>Request` on `RequestBody`, which
refuses unknown fields (a misspelt optional field would otherwise be dropped silently and
take its default) and is strict: `0` is not `false`, `"5"` is not `5`. (Enum fields say
`Field(strict=False)`: in strict mode pydantic wants an enum instance, never its JSON string.)

Responses are `<Noun>View` on `View`, read from the domain object an endpoint returns
(attributes, or aliases for other names).
"""

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)
