/**
 * One message of a conversation with its files, and the reply editor (docs/routing.md §6.3). Files
 * are fetched through short-lived links the API hands out on each click, never kept in the page.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ATTACHMENT_LIMITS, isPreviewable, servesInline } from "#shared/domain/attachments";
import type { MessageOut } from "#shared/http/web-schemas";
import type { Client } from "../api/client";
import { AUTOMATIC_LABEL, age, errorText } from "./ui";

type AttachmentOut = NonNullable<MessageOut["attachments"]>[number];

export function MessageItem({ m, client }: { m: MessageOut; client: Client }) {
  if (m.author.kind === "system")
    return (
      <li class="message system">
        <span>{m.text}</span> <time dateTime={m.createdAt}>{age(m.createdAt)}</time>
      </li>
    );
  const who = m.author.name ?? (m.author.kind === "customer" ? (m.author.email ?? "Customer") : "Agent");
  return (
    <li class={`message ${m.author.kind}`}>
      <p class="meta">
        <strong>{who}</strong>
        {m.author.email && m.author.name ? <span class="muted"> &lt;{m.author.email}&gt;</span> : null} ·{" "}
        <time dateTime={m.createdAt}>{age(m.createdAt)}</time>
        {m.automatic && <span class="chip automatic">{AUTOMATIC_LABEL[m.automatic]}</span>}
      </p>
      <p class="text">{m.text}</p>
      {m.attachments && m.attachments.length > 0 && (
        <ul class="attachments" aria-label="Files">
          {m.attachments.map((a) => (
            <AttachmentItem key={a.id} conversationId={m.conversationId} file={a} client={client} />
          ))}
        </ul>
      )}
      {m.delivery?.state === "failed" && (
        <p class="not-delivered" role="note">
          Not delivered{m.delivery.error ? `: ${m.delivery.error}` : ""}
        </p>
      )}
    </li>
  );
}

function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function AttachmentItem({
  conversationId,
  file,
  client,
}: {
  conversationId: string;
  file: AttachmentOut;
  client: Client;
}) {
  const [preview, setPreview] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const previewable = isPreviewable(file.contentType);
  useEffect(() => {
    if (!previewable) return;
    let live = true;
    client
      .attachmentLink(conversationId, file.id)
      .then((l) => live && setPreview(l.url))
      .catch(() => live && setPreview(null));
    return () => {
      live = false;
    };
  }, [conversationId, file.id]);
  const open = async () => {
    setError(null);
    // A picture or PDF opens in a new tab, opened now while the click still counts as the user's (a tab
    // opened after the link's fetch would be blocked as a popup); anything else is served as a download,
    // which leaves the inbox where it is.
    const tab = servesInline(file.contentType) ? window.open("", "_blank") : null;
    try {
      // A fresh link on every click: links last 5 minutes, the pane stays open longer.
      const link = await client.attachmentLink(conversationId, file.id);
      if (tab) {
        tab.opener = null;
        tab.location.href = link.url;
      } else window.location.assign(link.url);
    } catch (err) {
      tab?.close();
      setError(errorText(err));
    }
  };
  return (
    <li class="attachment">
      {preview && <img src={preview} alt={file.filename} class="thumbnail" />}
      <button type="button" class="link" onClick={() => void open()}>
        {file.filename}
      </button>{" "}
      <span class="muted">{fileSize(file.size)}</span>
      {error && (
        <span class="field-error" role="alert">
          {" "}
          {error}
        </span>
      )}
    </li>
  );
}

interface ReplyProps {
  busy: boolean;
  /** Email and form conversations: the reply goes out as an email and can carry files. */
  canAttach: boolean;
  /** Resolves true once sent; false keeps the draft and its files for another try. */
  onSend: (text: string, files: File[]) => Promise<boolean>;
}

export function ReplyEditor({ busy, canAttach, onSend }: ReplyProps) {
  const [text, setText] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const total = files.reduce((n, f) => n + f.size, 0);
  const tooMany = files.length > ATTACHMENT_LIMITS.replyMaxFiles;
  const tooBig = total > ATTACHMENT_LIMITS.replyMaxBytes;
  const send = async () => {
    if (!text.trim()) {
      setError("Write a reply first.");
      return;
    }
    if (tooMany || tooBig) {
      setError(limitText());
      return;
    }
    if (busy) return;
    setError(null);
    if (!(await onSend(text.trim(), files))) return;
    setText("");
    setFiles([]);
  };
  return (
    <form
      class="reply"
      onSubmit={(e) => {
        e.preventDefault();
        void send().catch((err: unknown) => setError(errorText(err)));
      }}
    >
      <label for="reply">Reply</label>
      <textarea
        id="reply"
        rows={3}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          // Ctrl/Cmd+Enter sends, like most editors; Enter alone is a new line.
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void send().catch((err: unknown) => setError(errorText(err)));
          }
        }}
        aria-describedby={error ? "reply-error" : undefined}
      />
      {files.length > 0 && (
        <ul class="attachments pending" aria-label="Files to send">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`} class="attachment">
              {f.name} <span class="muted">{fileSize(f.size)}</span>{" "}
              <button
                type="button"
                class="link"
                aria-label={`Remove ${f.name}`}
                onClick={() => {
                  setFiles(files.filter((_, j) => j !== i));
                  setError(null);
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p id="reply-error" class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="reply-actions">
        {canAttach && (
          <>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              onChange={(e) => {
                const chosen = [...(e.currentTarget.files ?? [])];
                e.currentTarget.value = "";
                const next = [...files, ...chosen];
                setFiles(next);
                const size = next.reduce((n, f) => n + f.size, 0);
                const over = next.length > ATTACHMENT_LIMITS.replyMaxFiles || size > ATTACHMENT_LIMITS.replyMaxBytes;
                setError(over ? limitText() : null);
              }}
            />
            <button type="button" disabled={busy} onClick={() => picker.current?.click()}>
              Attach files
            </button>
          </>
        )}
        <button type="submit" class="primary" disabled={busy || tooMany || tooBig}>
          Send
        </button>
      </div>
    </form>
  );
}

const { replyMaxFiles, replyMaxBytes } = ATTACHMENT_LIMITS;
const limitText = () => `A reply carries at most ${replyMaxFiles} files, ${fileSize(replyMaxBytes)} in all.`;
