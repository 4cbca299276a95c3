"""When an offset falls: wall-clock days, exact hours, working days both ways."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.errors import ValidationError
from scheduler.offsets import falls_at, parse_offset

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Monday 30 March 2026 10:00 CEST, the day after clocks went forward; ends 11:00.
START = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
END = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        ("P1D", datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # Sunday 10:00 CEST: same wall time
        ("PT24H", datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # exactly 24 hours
        ("P2D", datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),  # Saturday 10:00 CET
        ("+P1D", datetime(2026, 3, 31, 9, 0, tzinfo=UTC)),  # a day after the end, 11:00
        ("1WD", datetime(2026, 3, 27, 8, 0, tzinfo=UTC)),  # Friday 09:00 CET
        ("+2WD", datetime(2026, 4, 1, 7, 0, tzinfo=UTC)),  # Wednesday 09:00 CEST
        # Good Friday 3 and Easter Monday 6 April 2026 are holidays (python-holidays, NL).
        ("+5WD", datetime(2026, 4, 8, 7, 0, tzinfo=UTC)),
    ],
)
def test_an_offset_falls_in_wall_clock_terms_in_the_zone(offset: str, expected: datetime) -> None:
    assert falls_at(parse_offset(offset), START, END, AMSTERDAM) == expected


@pytest.mark.parametrize("text", ["P1M", "7D", "+", "WD", "P"])
def test_a_bad_offset_names_itself(text: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(repr(text))):
        parse_offset(text)
