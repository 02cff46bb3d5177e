import type { ComponentChildren } from "preact";
import { ApiError } from "../api/client";

/** "3 min", "2 h", "5 d": how long ago, for rows. */
/** docs/routing.md §6.2: how the inbox names mail a machine sent. */
export const AUTOMATIC_LABEL = {
  auto_reply: "Auto-reply",
  report: "Delivery report",
  bulk: "Bulk mail",
  loop: "Mail loop",
} as const;

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return "now";
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** "just now", "3 min ago": for sentences. */
export function ago(iso: string): string {
  const a = age(iso);
  return a === "now" ? "just now" : `${a} ago`;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError)
    return err.details.length ? `${err.message}: ${err.details.map((d) => d.reason).join("; ")}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="state error" role="alert">
      <span>{errorText(error)}</span>
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** A form field with its label and, when the API named it, the error right under it. */
export function Field({
  label,
  error,
  children,
  id,
}: {
  label: string;
  error?: string | undefined;
  children: ComponentChildren;
  id: string;
}) {
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children}
      {error && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Copies a secret shown once; says so for screen readers too. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  return (
    <button
      type="button"
      aria-label={label}
      onClick={async (e) => {
        const button = e.currentTarget;
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = "Copied";
        } catch {
          button.textContent = "Select and copy";
        }
      }}
    >
      Copy
    </button>
  );
}
