import type { ChannelType } from "./types";

/**
 * Chat and bot channels are live: a visitor waits on the other end, so routing looks at who is
 * available (least busy), and only they take the waiting line's options (docs/routing.md §5.3, §5.5).
 * Email and form channels are not.
 */
export function isLiveChannel(type: ChannelType): boolean {
  return type === "chat" || type === "bot";
}
