import type { OfficeHours, Weekday } from "./types";

/**
 * docs/routing.md §5.7: whether a chat channel is open at an instant, and when it opens next, in the
 * channel's own time zone through the platform's time zone database (`Intl`), so daylight-saving
 * changes are the database's, never a fixed offset of ours.
 */

const WEEKDAYS: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/** How far ahead the next opening is looked for: a year of closed dates, plus a week. */
const LOOKAHEAD_DAYS = 372;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Whether the platform knows the IANA time zone (an unknown one is a 400 naming the field). Offsets
 * (`+02:00`), which newer platforms also accept, are refused: they ignore daylight saving.
 */
export function isTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  /** The local calendar date, `YYYY-MM-DD`. */
  date: string;
  day: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
}

/** The wall clock of `timeZone` at `instant`. */
function wallClock(instant: Date, timeZone: string): Wall {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const day = WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
  return { date, day, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** `HH:MM` (`24:00` allowed) as minutes since midnight. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

/** Milliseconds `timeZone` is ahead of UTC at `instant`. */
function offsetMs(instant: Date, timeZone: string): number {
  const p = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((x) => [x.type, x.value]),
  );
  const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant a local wall time names. In a spring-forward gap (02:30 that never happens) it is the
 * moment the clocks jump to; in the repeated hour of autumn, the first of the two.
 */
function instantOf(date: string, minutes: number, timeZone: string): Date {
  const naive = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  // Two rounds: the offset at the guess may differ from the offset at the answer across a change.
  let guess = naive - offsetMs(new Date(naive), timeZone);
  guess = naive - offsetMs(new Date(guess), timeZone);
  const back = wallClock(new Date(guess), timeZone);
  if (back.date === date && back.minutes === minutes) {
    // The first of two equal wall times (autumn): an hour earlier may show the same wall clock.
    const earlier = new Date(guess - 3_600_000);
    const e = wallClock(earlier, timeZone);
    return e.date === date && e.minutes === minutes ? earlier : new Date(guess);
  }
  // A gap (spring forward): the wall time does not exist. As Temporal's "compatible" choice does, it
  // moves forward by the gap: 02:30 in a one-hour gap is 03:30, read with the offset before the change.
  return new Date(naive - offsetMs(new Date(naive - 86_400_000), timeZone));
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Open at `now`: a weekly interval of the local weekday covers it, and the local date is no closed date. */
export function isOpen(hours: OfficeHours, now: Date): boolean {
  const wall = wallClock(now, hours.timeZone);
  if (hours.closedDates?.includes(wall.date)) return false;
  return hours.weekly.some(
    (i) => i.day === wall.day && minutesOf(i.from) <= wall.minutes && wall.minutes < minutesOf(i.to),
  );
}

/** When the channel opens next after `now` (null when it is open now, or never opens). */
export function nextOpening(hours: OfficeHours, now: Date): Date | null {
  if (isOpen(hours, now)) return null;
  const today = wallClock(now, hours.timeZone);
  let date = today.date;
  for (let d = 0; d < LOOKAHEAD_DAYS; d++, date = nextDate(date)) {
    if (hours.closedDates?.includes(date)) continue;
    const day = WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
    const starts = hours.weekly
      .filter((i) => i.day === day)
      .map((i) => minutesOf(i.from))
      .filter((m) => d > 0 || m > today.minutes)
      .sort((a, b) => a - b);
    for (const m of starts) {
      const at = instantOf(date, m, hours.timeZone);
      if (at.getTime() > now.getTime()) return at;
    }
  }
  return null;
}

/** What the widget shows (docs/api.md, `GET /chat/{channelId}/status`). */
export interface ChannelStatus {
  open: boolean;
  opensAt: string | null;
  awayMessage: string | null;
}

/** A channel without hours is always open. */
export function channelStatus(hours: OfficeHours | null | undefined, now: Date): ChannelStatus {
  if (!hours || isOpen(hours, now)) return { open: true, opensAt: null, awayMessage: null };
  return {
    open: false,
    opensAt: nextOpening(hours, now)?.toISOString() ?? null,
    awayMessage: hours.awayMessage ?? null,
  };
}

/** "opens Mon 09:00 (Europe/Paris)", for the decision record of a chat that waits for the hours. */
export function opensWhen(hours: OfficeHours, now: Date): string {
  const at = nextOpening(hours, now);
  if (!at) return "no opening hours ahead";
  const wall = wallClock(at, hours.timeZone);
  const hh = String(Math.floor(wall.minutes / 60)).padStart(2, "0");
  const mm = String(wall.minutes % 60).padStart(2, "0");
  const day = wall.day.charAt(0).toUpperCase() + wall.day.slice(1);
  return `opens ${day} ${wall.date} ${hh}:${mm} (${hours.timeZone})`;
}
