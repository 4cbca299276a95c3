"""How times read to a person: periods in words, in the reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.texts import Lang, Words

AMSTERDAM = "Europe/Amsterdam"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "start", "end", "all_day", "expected"),
    [
        ("nl", utc(2026, 12, 8, 9), utc(2026, 12, 8, 10, 30), False,
         "dinsdag 8 december 2026 om 10:00–11:30"),
        ("en", utc(2026, 12, 8, 9), utc(2026, 12, 8, 10, 30), False,
         "Tuesday 8 December 2026 at 10:00–11:30"),
        ("nl", utc(2026, 12, 8, 21), utc(2026, 12, 9, 0, 30), False,
         "dinsdag 8 december 2026 om 22:00 tot woensdag 9 december 2026 om 01:30"),
        # the night the clocks go back: 01:30 CEST to 03:30 CET is three hours, one wall day
        ("nl", utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 30), False,
         "zondag 25 oktober 2026 om 01:30–03:30"),
        ("nl", utc(2027, 1, 20, 23), utc(2027, 1, 21, 23), True, "donderdag 21 januari 2027"),
        ("nl", utc(2026, 12, 7, 23), utc(2026, 12, 10, 23), True,
         "dinsdag 8 december 2026 t/m donderdag 10 december 2026"),
        ("en", utc(2026, 12, 7, 23), utc(2026, 12, 10, 23), True,
         "Tuesday 8 December 2026 to Thursday 10 December 2026"),
        # an all-day item across the October change: its days, not its hours
        ("nl", utc(2026, 10, 23, 22), utc(2026, 10, 25, 23), True,
         "zaterdag 24 oktober 2026 t/m zondag 25 oktober 2026"),
    ],
)  # fmt: skip
def test_a_period_reads_as_words_in_the_readers_zone(
    lang: Lang, start: datetime, end: datetime, all_day: bool, expected: str
) -> None:
    assert Words(lang, AMSTERDAM).period(start, end, all_day) == expected
