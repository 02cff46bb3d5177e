import type { RuleBody } from "../../api/client";
import { Field } from "../ui";

const DEFAULT = { seconds: 60, maxTimes: 1, awayOnLapse: false };

/**
 * docs/routing.md §5.6 in the routing editor: re-route a chat its owner does not answer in time.
 * `fields` are the API's field errors of the rule (`rerouteAfter.seconds`...), shown at their input.
 */
export function RerouteFields({
  h,
  rule,
  setRule,
  fields,
}: {
  h: string;
  rule: RuleBody;
  setRule: (rule: RuleBody) => void;
  fields: Record<string, string>;
}) {
  const reroute = rule.rerouteAfter ?? null;
  const set = (over: Partial<typeof DEFAULT>) =>
    setRule({ ...rule, rerouteAfter: { ...DEFAULT, ...reroute, ...over } });
  const error = (f: string) => fields[`rerouteAfter.${f}`] ?? fields[`routing.rerouteAfter.${f}`];
  return (
    <fieldset class="reroute">
      <legend>When the owner does not answer</legend>
      <label class="check">
        <input
          type="checkbox"
          checked={reroute !== null}
          aria-describedby={fields.rerouteAfter ? `${h}-reroute-error` : undefined}
          onChange={(e) => setRule({ ...rule, rerouteAfter: e.currentTarget.checked ? DEFAULT : null })}
        />
        Re-route chats nobody answers
      </label>
      {fields.rerouteAfter && (
        <p class="field-error" id={`${h}-reroute-error`} role="alert">
          {fields.rerouteAfter}
        </p>
      )}
      {reroute && (
        <div class="row-fields">
          <Field id={`${h}-reroute-seconds`} label="Seconds to answer (15 to 900)" error={error("seconds")}>
            <input
              id={`${h}-reroute-seconds`}
              type="number"
              min={15}
              max={900}
              value={reroute.seconds}
              aria-invalid={error("seconds") ? "true" : undefined}
              aria-describedby={error("seconds") ? `${h}-reroute-seconds-error` : undefined}
              onInput={(e) => set({ seconds: Number(e.currentTarget.value) })}
            />
          </Field>
          <Field id={`${h}-reroute-times`} label="Re-route at most (times, 1 to 5)" error={error("maxTimes")}>
            <input
              id={`${h}-reroute-times`}
              type="number"
              min={1}
              max={5}
              value={reroute.maxTimes}
              aria-invalid={error("maxTimes") ? "true" : undefined}
              aria-describedby={error("maxTimes") ? `${h}-reroute-times-error` : undefined}
              onInput={(e) => set({ maxTimes: Number(e.currentTarget.value) })}
            />
          </Field>
          <label class="check">
            <input
              type="checkbox"
              checked={reroute.awayOnLapse === true}
              onChange={(e) => set({ awayOnLapse: e.currentTarget.checked })}
            />
            Set the owner away when a chat is re-routed
          </label>
        </div>
      )}
    </fieldset>
  );
}
