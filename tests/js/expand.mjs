// Reads an iCalendar text on stdin the way Thunderbird does (Mozilla ical.js) and prints the
// occurrences overlapping a window as JSON: the independent reader the tests compare us with.
//
//   node expand.mjs 2027-01-01T00:00:00Z 2037-01-01T00:00:00Z < calendar.ics
//
// Each occurrence: {uid, recurrence_id, start, end, summary, status}. Times with a zone are
// written in UTC ("2027-03-28T08:00:00Z"), dates as "2027-03-28", floating times without Z.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const MARGIN_DAYS = 35; // moved occurrences may land in the window from just outside it
const MAX_STEPS = 100000; // a runaway rule must not hang the test suite

function written(time) {
  if (time.isDate) return time.toString();
  if (time.zone === ICAL.Timezone.localTimezone || time.zone?.tzid === "floating") {
    return time.toString();
  }
  return time.convertToZone(ICAL.Timezone.utcTimezone).toString();
}

function unix(time) {
  // Floating times and dates count as UTC for choosing the window; the caller compares text.
  return time.toUnixTime();
}

function roots(text) {
  const parsed = ICAL.parse(text);
  const list = typeof parsed[0] === "string" ? [parsed] : parsed;
  return list.map((jcal) => new ICAL.Component(jcal));
}

function occurrences(text, from, to) {
  const found = [];
  for (const root of roots(text)) {
    for (const zone of root.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(zone);
    }
    // A file may hold bare VEVENTs without a VCALENDAR around them.
    const events = root.name === "vevent" ? [root] : root.getAllSubcomponents("vevent");
    const masters = events.filter((e) => !e.hasProperty("recurrence-id"));
    const masterUids = new Set(masters.map((e) => e.getFirstPropertyValue("uid")));
    for (const component of masters) {
      const uid = component.getFirstPropertyValue("uid");
      const exceptions = events.filter(
        (e) => e.hasProperty("recurrence-id") && e.getFirstPropertyValue("uid") === uid,
      );
      const event = new ICAL.Event(component, { exceptions });
      found.push(...expand(event, uid, from, to));
    }
    // An override whose series is not in the file stands alone.
    for (const component of events) {
      const uid = component.getFirstPropertyValue("uid");
      if (component.hasProperty("recurrence-id") && !masterUids.has(uid)) {
        found.push(...expand(new ICAL.Event(component), uid, from, to, true));
      }
    }
  }
  return found;
}

function expand(event, uid, from, to, alone = false) {
  const result = [];
  const keep = (start, end, item, rid) => {
    const s = unix(start);
    const e = unix(end);
    const overlaps = s === e ? s >= from && s < to : s < to && e > from;
    if (!overlaps) return;
    result.push({
      uid,
      recurrence_id: rid === null ? null : written(rid),
      start: written(start),
      end: written(end),
      summary: item.summary ?? "",
      status: (item.component.getFirstPropertyValue("status") ?? "").toUpperCase(),
    });
  };
  if (alone || !event.isRecurring()) {
    keep(event.startDate, event.endDate, event, alone ? event.recurrenceId : null);
    return result;
  }
  const iterator = event.iterator();
  const stop = to + MARGIN_DAYS * 86400;
  const begin = from - MARGIN_DAYS * 86400;
  let next;
  let steps = 0;
  while ((next = iterator.next())) {
    if (++steps > MAX_STEPS) throw new Error(`more than ${MAX_STEPS} occurrences for ${uid}`);
    const at = unix(next);
    if (at >= stop) break;
    if (at < begin) continue;
    const details = event.getOccurrenceDetails(next);
    keep(details.startDate, details.endDate, details.item, next);
  }
  return result;
}

const [fromText, toText] = process.argv.slice(2);
const from = Date.parse(fromText) / 1000;
const to = Date.parse(toText) / 1000;
try {
  const text = readFileSync(0, "utf8");
  process.stdout.write(JSON.stringify(occurrences(text, from, to)));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }));
  process.exitCode = 2;
}
