import { useState } from "preact/hooks";
import type { ChannelOut } from "#shared/http/web-schemas";
import type { ChannelBody, Client } from "../../api/client";
import { Field } from "../ui";
import { splitErrors } from "./common";

type Hours = NonNullable<ChannelBody["hours"]>;
type Day = Hours["weekly"][number]["day"];
const DAYS: Array<[Day, string]> = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const fresh = (): Hours => ({
  timeZone: browserZone(),
  weekly: DAYS.slice(0, 5).map(([day]) => ({ day, from: "09:00", to: "17:00" })),
  closedDates: [],
  awayMessage: "",
});
const zones = (): string[] => {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  return intl.supportedValuesOf?.("timeZone") ?? [];
};

/**
 * docs/routing.md §5.7: a chat or bot channel's office hours, saved with the channel. One interval a
 * day here (the API takes more); the API's errors sit next to the field they name.
 */
export function OfficeHoursEditor({
  client,
  channel,
  onSaved,
}: {
  client: Client;
  channel: ChannelOut;
  onSaved: () => Promise<void>;
}) {
  const [hours, setHours] = useState<Hours | null>((channel.hours as Hours | null | undefined) ?? null);
  const [err, setErr] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const { fields, rest } = splitErrors(err);
  const h = `hours-${channel.id}`;
  const at = (f: string) => fields[`hours.${f}`];
  const dayIndex = (day: Day) => hours?.weekly.findIndex((i) => i.day === day) ?? -1;
  const setDay = (day: Day, interval: { from: string; to: string } | null) => {
    if (!hours) return;
    const others = hours.weekly.filter((i) => i.day !== day);
    const weekly = interval ? [...others, { day, ...interval }] : others;
    weekly.sort((a, b) => DAYS.findIndex(([d]) => d === a.day) - DAYS.findIndex(([d]) => d === b.day));
    setHours({ ...hours, weekly });
  };
  // The API names an interval by its index in what was sent: map it back to its day.
  const dayError = (day: Day, part: "from" | "to") => {
    const i = dayIndex(day);
    return i >= 0 ? at(`weekly.${i}.${part}`) : undefined;
  };

  return (
    <form
      class="office-hours"
      aria-labelledby={`${h}-h`}
      onSubmit={async (e) => {
        e.preventDefault();
        setErr(null);
        setSaved(false);
        try {
          const {
            signingSecret: _s,
            identitySecret: _i,
            id: _id,
            ...body
          } = channel as ChannelOut & {
            signingSecret?: string;
            identitySecret?: string;
          };
          const cleaned = hours && {
            ...hours,
            closedDates: (hours.closedDates ?? []).filter(Boolean),
            ...(hours.awayMessage ? {} : { awayMessage: undefined }),
          };
          await client.putChannel(channel.id, { ...(body as ChannelBody), hours: cleaned });
          setSaved(true);
          await onSaved();
        } catch (x) {
          setErr(x);
        }
      }}
    >
      <h3 id={`${h}-h`}>Office hours</h3>
      <label class="check switch">
        <input
          type="checkbox"
          role="switch"
          aria-checked={hours !== null}
          checked={hours !== null}
          onChange={(e) => setHours(e.currentTarget.checked ? fresh() : null)}
        />
        Open only at set hours
      </label>
      {hours ? (
        <>
          <Field id={`${h}-zone`} label="Time zone" error={at("timeZone")}>
            <input
              id={`${h}-zone`}
              list={`${h}-zones`}
              value={hours.timeZone}
              aria-invalid={at("timeZone") ? "true" : undefined}
              aria-describedby={at("timeZone") ? `${h}-zone-error` : undefined}
              onInput={(e) => setHours({ ...hours, timeZone: e.currentTarget.value })}
            />
            <datalist id={`${h}-zones`}>
              {zones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </Field>
          <fieldset class="week">
            <legend>Opening hours</legend>
            {DAYS.map(([day, name]) => {
              const interval = hours.weekly.find((i) => i.day === day);
              const [fromError, toError] = [dayError(day, "from"), dayError(day, "to")];
              return (
                <div key={day} class={`day${fromError || toError ? " invalid" : ""}`}>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={interval !== undefined}
                      onChange={(e) => setDay(day, e.currentTarget.checked ? { from: "09:00", to: "17:00" } : null)}
                    />
                    {name}
                  </label>
                  {interval && (
                    <>
                      <input
                        type="time"
                        aria-label={`${name} opens at`}
                        value={interval.from}
                        aria-invalid={fromError ? "true" : undefined}
                        onInput={(e) => setDay(day, { ...interval, from: e.currentTarget.value })}
                      />
                      <input
                        type="time"
                        aria-label={`${name} closes at`}
                        value={interval.to === "24:00" ? "23:59" : interval.to}
                        aria-invalid={toError ? "true" : undefined}
                        onInput={(e) => setDay(day, { ...interval, to: e.currentTarget.value })}
                      />
                    </>
                  )}
                  {(fromError || toError) && (
                    <p class="field-error" role="alert">
                      {[fromError, toError].filter(Boolean).join("; ")}
                    </p>
                  )}
                </div>
              );
            })}
          </fieldset>
          <Field
            id={`${h}-closed`}
            label="Closed dates (YYYY-MM-DD, one per line)"
            error={Object.entries(fields).find(([f]) => f.startsWith("hours.closedDates"))?.[1]}
          >
            <textarea
              id={`${h}-closed`}
              rows={2}
              value={(hours.closedDates ?? []).join("\n")}
              onInput={(e) => setHours({ ...hours, closedDates: e.currentTarget.value.split(/\s+/) })}
            />
          </Field>
          <Field id={`${h}-away`} label="Away message (shown in the chat while closed)" error={at("awayMessage")}>
            <textarea
              id={`${h}-away`}
              rows={2}
              maxLength={500}
              value={hours.awayMessage ?? ""}
              onInput={(e) => setHours({ ...hours, awayMessage: e.currentTarget.value })}
            />
          </Field>
        </>
      ) : (
        <p class="muted">Always open: chats are routed at any hour.</p>
      )}
      {(rest || fields.hours) && (
        <p class="field-error" role="alert">
          {[fields.hours, rest].filter(Boolean).join("; ")}
        </p>
      )}
      {saved && <p role="status">Office hours saved.</p>}
      <button type="submit">Save office hours</button>
    </form>
  );
}
