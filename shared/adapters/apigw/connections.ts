import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { LiveFrame, LivePush } from "../../domain/ports/live";

/** The management API of one WebSocket stage (deployed: `https://<api>.execute-api.<region>.amazonaws.com/<stage>`). */
export function createConnectionsClient(opts: { endpoint: string; region: string; local?: boolean }) {
  return new ApiGatewayManagementApiClient({
    endpoint: opts.endpoint,
    region: opts.region,
    // Throttled posts are retried by the SDK too (adaptive rate), on top of our own backoff below.
    retryMode: "adaptive",
    maxAttempts: 3,
    ...(opts.local ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
  });
}

const THROTTLED = new Set(["LimitExceededException", "ThrottlingException", "TooManyRequestsException"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts frames through API Gateway's `@connections` API (locally its emulation, same client). A closed
 * connection answers 410 (GoneException): "gone", so the fan-out drops its records. Throttling backs
 * off exponentially with jitter (50 ms doubling, 5 tries) before the error reaches the batch, which is
 * then retried from that record.
 */
export class ApiGatewayPush implements LivePush {
  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly render: (frame: LiveFrame) => unknown,
    private readonly backoff = { baseMs: 50, tries: 5 },
  ) {}

  async send(connectionId: string, frame: LiveFrame): Promise<"sent" | "gone"> {
    const data = new TextEncoder().encode(JSON.stringify(this.render(frame)));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        return "sent";
      } catch (err) {
        const name = (err as { name?: string }).name ?? "";
        if (
          name === "GoneException" ||
          (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410
        )
          return "gone";
        if (!THROTTLED.has(name) || attempt >= this.backoff.tries) throw err;
        await sleep(this.backoff.baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      }
    }
  }

  async close(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (err) {
      if ((err as { name?: string }).name !== "GoneException") throw err;
    }
  }
}
