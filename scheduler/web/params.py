"""Parameters that pages and the API read alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# A row's id in a path: an int the database can hold (PostgreSQL's INTEGER), so that a huge
# number answers 422 naming the parameter, never an overflow deep in the driver.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
