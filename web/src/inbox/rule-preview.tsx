import { useState } from "preact/hooks";
import type { RulePreviewOut } from "#shared/http/web-schemas";
import { ApiError, type Client, type RuleBody } from "../api/client";

/**
 * "Preview on the last 7 days" beside a rule's Save (docs/routing.md §8): what the rule being edited
 * would have done to the channel's recent conversations, per user, as paired bars (recorded vs preview).
 */
export function RulePreviewPanel({
  client,
  channelId,
  rule,
  nameOf,
}: {
  client: Client;
  channelId: string;
  rule: RuleBody;
  nameOf: (userId: string) => string;
}) {
  const [result, setResult] = useState<RulePreviewOut | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await client.previewRule(channelId, rule));
    } catch (x) {
      setResult(null);
      setError(x instanceof ApiError ? x.details.map((d) => d.reason).join("; ") || x.message : String(x));
    } finally {
      setBusy(false);
    }
  };
  const id = `preview-${channelId}`;
  return (
    <div class="preview">
      <button type="button" onClick={run} disabled={busy} aria-controls={result ? id : undefined}>
        {busy ? "Previewing…" : "Preview on the last 7 days"}
      </button>
      {error && (
        <p class="field-error" role="alert">
          Preview failed: {error}
        </p>
      )}
      {result && <PreviewResult id={id} result={result} nameOf={nameOf} />}
    </div>
  );
}

function PreviewResult({
  id,
  result,
  nameOf,
}: {
  id: string;
  result: RulePreviewOut;
  nameOf: (userId: string) => string;
}) {
  if (result.conversations === 0) {
    return (
      <p id={id} role="status" class="muted">
        No conversation on this channel in the last 7 days: nothing to preview.
      </p>
    );
  }
  const rows = [
    ...result.users.map((u) => ({
      key: u.userId,
      label: u.name ?? nameOf(u.userId),
      estimated: u.estimated,
      actual: u.actual,
      preview: u.preview,
    })),
    { key: "-waiting", label: "Nobody (waits)", estimated: false, ...result.waiting },
  ];
  const max = Math.max(1, ...rows.map((r) => Math.max(r.actual, r.preview)));
  // Bars share one scale (the largest count fills 80% of its cell, leaving room for the number).
  const width = (n: number) => `${Math.round((n / max) * 80)}%`;
  return (
    <section id={id} class="preview-result" aria-label="Rule preview" role="status">
      <p>
        <strong>{result.conversations}</strong> conversation(s) replayed; <strong>{result.changedOwner}</strong> would
        change owner.
      </p>
      <p class="legend" aria-hidden="true">
        <span class="swatch actual" /> now <span class="swatch preview" /> with this rule
      </p>
      <table class="preview-table">
        <thead>
          <tr>
            <th scope="col">Assignee</th>
            <th scope="col">Now</th>
            <th scope="col">With this rule</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">
                {r.label}
                {r.estimated && (
                  <span class="muted" title="Not seen by the recorded decisions: taken as they are now">
                    {" "}
                    (estimated)
                  </span>
                )}
              </th>
              <td class="bars">
                <span class="bar actual" style={{ width: width(r.actual) }} />
                <span class="count">{r.actual}</span>
              </td>
              <td class="bars">
                <span class="bar preview" style={{ width: width(r.preview) }} />
                <span class="count">{r.preview}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.examples.length > 0 && (
        <details>
          <summary>Examples of changed owners</summary>
          <ul>
            {result.examples.map((e) => (
              <li key={e.conversationId}>
                {e.actualAssigneeId ? nameOf(e.actualAssigneeId) : "Nobody"} →{" "}
                {e.previewAssigneeId ? nameOf(e.previewAssigneeId) : "nobody (waits)"}: {e.explanation}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
