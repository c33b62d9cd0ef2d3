"""The HTTP ceiling: a FastAPI endpoint with no database, served exactly as `awardpath serve`
serves its apps (uvicorn.Server inside asyncio.run, log level info, access log on).

    python -m bench.bare_app PORT
"""

import asyncio
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, status

from awardpath.processes import server_config
from awardpath_shared.ids import new_id

app = FastAPI(title="bare endpoint")


@app.post("/v1/submissions", status_code=status.HTTP_201_CREATED)
async def accept(body: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id(), "status": "submitted", "attempt": 1}


@app.get("/health/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    server = uvicorn.Server(server_config(app, "127.0.0.1", int(sys.argv[1])))
    asyncio.run(server.serve())
