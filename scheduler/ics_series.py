"""The recurrence of one iCalendar event, reshaped into what an agenda item can hold.

An agenda item has at most one RRULE and starts on that rule's first occurrence, at a wall
time that exists; its EXDATEs are occurrences. iCalendar files that the reference readers
(recurring-ical-events, Mozilla ical.js) read without complaint do more than that. This
module rewrites them into items with the same occurrences, with dateutil evaluating the rules:

- RFC 5545 counts DTSTART as the first instance even when the rule would not produce it; such
  a DTSTART, and one in a DST gap or in the second pass of a repeated hour, becomes an RDATE
  (with its offset) and the item starts at the rule's first clean occurrence;
- a second RRULE with an end becomes RDATEs;
- EXDATE;VALUE=DATE on a timed series excludes that day's occurrences, and an EXDATE that is
  no occurrence is dropped (the readers ignore it);
- RECURRENCE-ID;RANGE=THISANDFUTURE splits the series where the change begins.

Moments are dates (all-day series) or aware datetimes in the series' zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from scheduler import clock
from scheduler.errors import ValidationError
from scheduler.occurrences import MAX_COUNT

Moment = date | datetime
# Rule parts that pin occurrences to days: shifting such a rule's start shifts nothing else.
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS")
_SECOND = timedelta(seconds=1)
_UNCLEAN_RUN = 10  # unclean occurrences in a row after which a rule is taken to stay so


@dataclass
class Series:
    """One event's occurrences: a start, its length, rules, extra and excluded dates."""

    zone: ZoneInfo
    start: Moment
    length: timedelta  # wall-clock length (whole days for all-day series)
    rules: list[str] = field(default_factory=list)  # normalized RRULEs; the first is kept
    rdates: list[Moment] = field(default_factory=list)
    exdates: list[Moment] = field(default_factory=list)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def naive(self, moment: Moment) -> datetime:
        """What dateutil works with: aware datetimes, or naive midnights for days."""
        return moment if isinstance(moment, datetime) else datetime.combine(moment, time())

    def back(self, value: datetime) -> Moment:
        return value.date() if self.all_day else value

    def rule(self, text: str, start: Moment | None = None) -> rrule:
        found = rrulestr(text, dtstart=self.naive(self.start if start is None else start))
        assert isinstance(found, rrule)  # one RRULE line, never a set
        return found

    def walls(self, text: str, start: Moment | None = None) -> Iterator[Moment]:
        return (self.back(value) for value in self.rule(text, start))

    def starts_between(self, low: Moment, high: Moment) -> list[Moment]:
        """Every start (DTSTART, rules, RDATEs; EXDATEs ignored) from `low` to `high`."""
        found = [m for m in [self.start, *self.rdates] if key(low) <= key(m) <= key(high)]
        for text in self.rules:
            values = self.rule(text).between(self.naive(low), self.naive(high), inc=True)
            found += [self.back(value) for value in values]
        return sorted({key(m): m for m in found}.values(), key=key)

    def occurs(self, moment: Moment) -> bool:
        return any(key(m) == key(moment) for m in self.starts_between(moment, moment))


def key(moment: Moment) -> date | datetime:
    """What makes two moments the same occurrence: the day, or the instant (in UTC: two
    datetimes with one tzinfo would compare as wall times, blind to the repeated hour)."""
    return moment.astimezone(UTC) if isinstance(moment, datetime) else moment


def clean(moment: Moment) -> bool:
    """Whether an item can start at this wall time: it exists and is the first of a
    repeated hour (an item's rule is evaluated from its start's wall time)."""
    if not isinstance(moment, datetime):
        return True
    return clock.wall_time_exists(moment) and (
        moment.fold == 0 or not clock.wall_time_is_ambiguous(moment)
    )


def parts(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";"))


def joined(values: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in values.items())


# ---------------------------------------------------------------- more RRULEs, EXDATEs


def single_rule(series: Series) -> Series:
    """Further RRULEs (RFC 2445 allowed several) become RDATEs; one without end cannot."""
    extra: list[Moment] = []
    for text in dict.fromkeys(series.rules[1:]):
        if text == series.rules[0]:
            continue
        if "COUNT" not in parts(text) and "UNTIL" not in parts(text):
            raise ValidationError(
                f"a second RRULE without COUNT or UNTIL ({text}); an item holds one rule, "
                "so end the second one or split the event",
                field="rrule",
            )
        values = list(islice(series.walls(text), MAX_COUNT + 1))
        if len(values) > MAX_COUNT:
            raise ValidationError(
                f"the second RRULE {text} has over {MAX_COUNT} occurrences", field="rrule"
            )
        extra += values
    known = {key(m) for m in series.rdates}
    added = [m for m in extra if key(m) not in known]
    return replace(series, rules=series.rules[:1], rdates=series.rdates + added)


def resolved_exdates(series: Series, given: list[Moment]) -> list[Moment]:
    """The occurrences the EXDATEs exclude: a day on a timed series excludes that day's
    occurrences; a time on an all-day series its day; anything else that is no occurrence
    is dropped, as the readers ignore it."""
    found: list[Moment] = []
    for value in given:
        if series.all_day:
            day = value.astimezone(series.zone).date() if isinstance(value, datetime) else value
            found += [day] if series.occurs(day) else []
        elif isinstance(value, datetime):
            local = value.astimezone(series.zone)
            found += [local] if series.occurs(local) else []
        else:
            midnight = datetime.combine(value, time(), tzinfo=series.zone)
            found += series.starts_between(midnight, midnight + timedelta(days=1) - _SECOND)
    return sorted({key(m): m for m in found}.values(), key=key)


# ---------------------------------------------------------------- the first instance


def anchored(series: Series) -> Series:
    """The series starting on its rule's first clean occurrence: a DTSTART the rule does not
    produce, or one an item cannot start at (in a DST gap, the second 02:30 of October),
    stays an instance as an RDATE; a COUNT goes down by the instances moved there."""
    if not series.rules:
        return series
    walls = series.walls(series.rules[0])
    head = next(walls, None)
    if head is None:  # the rule never occurs; RFC 5545: DTSTART still does
        return replace(series, rules=[])
    on_rule = _wall(head) == _wall(series.start)
    if on_rule and clean(series.start):
        return series
    moved = [series.start]
    used = int(on_rule)
    candidate = next(walls, None) if on_rule else head
    while candidate is not None and not clean(candidate):
        if used == _UNCLEAN_RUN:
            # A rule that always falls in the gap (yearly at 02:30 on the last Sunday of
            # March): repeated from its DTSTART as read, it gives the same instants.
            return series
        moved.append(candidate)
        used += 1
        candidate = next(walls, None)
    if candidate is None:  # every occurrence of a short rule was unclean
        return replace(series, start=moved[0], rules=[], rdates=moved[1:] + series.rdates)
    return replace(
        series,
        start=candidate,
        rules=[_counted_down(series.rules[0], used)],
        rdates=moved + series.rdates,
    )


def _wall(moment: Moment) -> date | datetime:
    return moment.replace(tzinfo=None) if isinstance(moment, datetime) else moment


def _counted_down(text: str, used: int) -> str:
    values = parts(text)
    if "COUNT" in values:
        values["COUNT"] = str(int(values["COUNT"]) - used)
    return joined(values)


# ---------------------------------------------------------------- RANGE=THISANDFUTURE


def split(series: Series, at: Moment, shift: timedelta) -> tuple[Series | None, Series]:
    """The series before `at` (None if nothing precedes it), and from `at` on with every start
    moved by `shift` in wall time: what RANGE=THISANDFUTURE means to both readers."""
    return _before(series, at), _from(series, at, shift)


def _before(series: Series, at: Moment) -> Series | None:
    if key(series.start) >= key(at):
        return None
    rules = []
    for text in series.rules[:1]:
        last = series.rule(text).before(series.naive(at), inc=False)
        if last is not None:
            rules.append(_until(text, series.back(last)))
    return replace(
        series,
        rules=rules,
        rdates=[m for m in series.rdates if key(m) < key(at)],
        exdates=[m for m in series.exdates if key(m) < key(at)],
    )


def _from(series: Series, at: Moment, shift: timedelta) -> Series:
    extra = [m for m in [series.start, *series.rdates] if key(m) >= key(at)]
    rules: list[str] = []
    first: Moment | None = None
    for text in series.rules[:1]:
        found = series.rule(text).after(series.naive(at), inc=True)
        if found is None:
            continue
        first = series.back(found)
        if _moves_days(first, shift) and any(name in parts(text) for name in _DAY_PARTS):
            extra += _listed(series, text, at)  # moved to other days, BYDAY would be wrong
            first = None
        else:
            rules.append(_rule_from(series, text, at, shift))
    starts = sorted({key(m): shifted(m, shift) for m in extra}.items())
    if first is None:
        head, *rest = [m for _, m in starts]
    else:
        head = shifted(first, shift)
        rest = [m for k, m in starts if k != key(first)]
    exdates = [shifted(m, shift) for m in series.exdates if key(m) >= key(at)]
    return Series(series.zone, head, series.length, rules, rest, exdates)


def _moves_days(moment: Moment, shift: timedelta) -> bool:
    return _day(shifted(moment, shift)) != _day(moment)


def _day(moment: Moment) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _listed(series: Series, text: str, at: Moment) -> list[Moment]:
    if "COUNT" not in parts(text) and "UNTIL" not in parts(text):
        raise ValidationError(
            f"RANGE=THISANDFUTURE moves {text} to other days, for ever; the agenda cannot "
            "hold that as one rule: end the series in the calendar and start a new one",
            field="occurrences",
        )
    return [m for m in series.walls(text) if key(m) >= key(at)]


def _rule_from(series: Series, text: str, at: Moment, shift: timedelta) -> str:
    """The rule restarted at its first occurrence from `at`, moved by `shift`: the same
    remaining occurrences, since a rule restarted at one of its occurrences keeps its rhythm."""
    values = parts(text)
    if "COUNT" in values:
        done = sum(1 for m in series.walls(text) if key(m) < key(at))
        values["COUNT"] = str(int(values["COUNT"]) - done)
    if "UNTIL" in values:
        last = list(series.walls(text))[-1]
        return _until(joined(values), shifted(last, shift))
    return joined(values)


def _until(text: str, last: Moment) -> str:
    """The rule ending with the occurrence `last` (COUNT, if any, gives way to UNTIL)."""
    values = parts(text)
    values.pop("COUNT", None)
    values["UNTIL"] = (
        last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        if isinstance(last, datetime)
        else last.strftime("%Y%m%d")
    )
    return joined(values)


def shifted(moment: Moment, shift: timedelta) -> Moment:
    """`moment` moved by `shift` in wall-clock time (days for a date). The fold goes along:
    within the repeated hour, half an hour after the second 02:10 is the second 02:40."""
    if isinstance(moment, datetime):
        wall = moment.replace(tzinfo=None) + shift
        return wall.replace(tzinfo=moment.tzinfo, fold=moment.fold)
    return moment + timedelta(days=shift.days)
