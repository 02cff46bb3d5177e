import { describe, expect, it } from "vitest";
import { channelStatus, isOpen, isTimeZone, nextOpening, opensWhen } from "#shared/domain/office-hours";
import type { OfficeHours } from "#shared/domain/types";

const weekdays = (from: string, to: string) =>
  (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from, to }));
const paris: OfficeHours = { timeZone: "Europe/Paris", weekly: weekdays("09:00", "17:00"), awayMessage: "Back soon" };
const at = (iso: string) => new Date(iso);

describe("office hours (docs/routing.md §5.7)", () => {
  it("is open inside a weekly interval of the local weekday, closed outside it", () => {
    // Monday 7 December 2026, Paris is UTC+1 in winter.
    expect(isOpen(paris, at("2026-12-07T08:30:00Z"))).toBe(true); // 09:30 local
    expect(isOpen(paris, at("2026-12-07T07:59:00Z"))).toBe(false); // 08:59 local
    expect(isOpen(paris, at("2026-12-07T16:00:00Z"))).toBe(false); // 17:00 local: `to` is excluded
    expect(isOpen(paris, at("2026-12-05T10:00:00Z"))).toBe(false); // Saturday
  });

  it("follows the time zone database through summer time: 09:00 in June is 07:00 UTC", () => {
    expect(isOpen(paris, at("2027-06-07T06:59:00Z"))).toBe(false);
    expect(isOpen(paris, at("2027-06-07T07:00:00Z"))).toBe(true);
    expect(nextOpening(paris, at("2027-06-07T05:00:00Z"))?.toISOString()).toBe("2027-06-07T07:00:00.000Z");
  });

  it("the next opening across the spring change is at the new offset (Friday evening to Monday)", () => {
    // Clocks go forward on Sunday 28 March 2027: Friday's 09:00 was 08:00 UTC, Monday's is 07:00 UTC.
    expect(nextOpening(paris, at("2027-03-25T18:00:00Z"))?.toISOString()).toBe("2027-03-26T08:00:00.000Z");
    expect(nextOpening(paris, at("2027-03-26T18:00:00Z"))?.toISOString()).toBe("2027-03-29T07:00:00.000Z");
    // And back in autumn (31 October 2027).
    expect(nextOpening(paris, at("2027-10-29T18:00:00Z"))?.toISOString()).toBe("2027-11-01T08:00:00.000Z");
  });

  it("an opening in the spring-forward gap moves forward by the gap; one in the repeated hour is the first", () => {
    const night: OfficeHours = { timeZone: "Europe/Paris", weekly: [{ day: "sun", from: "02:30", to: "05:00" }] };
    // 02:30 does not exist on 28 March 2027: the clocks jump from 02:00 to 03:00, so it opens at 03:30 (01:30 UTC).
    expect(nextOpening(night, at("2027-03-27T12:00:00Z"))?.toISOString()).toBe("2027-03-28T01:30:00.000Z");
    // 02:30 happens twice on 31 October 2027 (CEST, then CET): the first is 00:30 UTC.
    expect(nextOpening(night, at("2027-10-30T12:00:00Z"))?.toISOString()).toBe("2027-10-31T00:30:00.000Z");
  });

  it("another zone's own rules: New York changes two weeks before Paris", () => {
    const ny: OfficeHours = { timeZone: "America/New_York", weekly: weekdays("09:00", "17:00") };
    expect(isOpen(ny, at("2027-03-15T13:00:00Z"))).toBe(true); // 09:00 EDT (UTC-4)
    expect(isOpen(ny, at("2027-03-12T13:00:00Z"))).toBe(false); // 08:00 EST (UTC-5)
  });

  it("a closed date keeps a weekday closed; the next opening skips it", () => {
    const holiday: OfficeHours = { ...paris, closedDates: ["2026-12-25"] };
    expect(isOpen(holiday, at("2026-12-25T10:00:00Z"))).toBe(false);
    expect(nextOpening(holiday, at("2026-12-24T17:00:00Z"))?.toISOString()).toBe("2026-12-28T08:00:00.000Z");
  });

  it("24:00 closes at midnight, and overlapping intervals open at the earliest start", () => {
    const late: OfficeHours = {
      timeZone: "UTC",
      weekly: [
        { day: "mon", from: "18:00", to: "24:00" },
        { day: "mon", from: "12:00", to: "20:00" },
      ],
    };
    expect(isOpen(late, at("2026-12-07T23:59:00Z"))).toBe(true);
    expect(isOpen(late, at("2026-12-08T00:00:00Z"))).toBe(false);
    expect(nextOpening(late, at("2026-12-07T06:00:00Z"))?.toISOString()).toBe("2026-12-07T12:00:00.000Z");
  });

  it("the status the widget reads: open without hours, else the next opening and the away message", () => {
    expect(channelStatus(null, at("2026-12-05T10:00:00Z"))).toEqual({ open: true, opensAt: null, awayMessage: null });
    expect(channelStatus(paris, at("2026-12-05T10:00:00Z"))).toEqual({
      open: false,
      opensAt: "2026-12-07T08:00:00.000Z",
      awayMessage: "Back soon",
    });
    expect(channelStatus({ timeZone: "UTC", weekly: [] }, at("2026-12-05T10:00:00Z")).opensAt).toBeNull();
    expect(opensWhen(paris, at("2026-12-05T10:00:00Z"))).toBe("opens Mon 2026-12-07 09:00 (Europe/Paris)");
  });

  it("knows the platform's time zones and refuses others", () => {
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    // A fixed offset would keep winter time all summer: only zone names are taken.
    expect(isTimeZone("+02:00")).toBe(false);
    expect(isTimeZone("Etc/GMT+2")).toBe(true);
  });
});
