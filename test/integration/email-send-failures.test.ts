import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { SESEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { METRIC, METRICS_NAMESPACE } from "#shared/adapters/metrics/names";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import {
  createSesClient,
  type SendObserver,
  SesCustomerEmailSender,
  SesOwnerNotifier,
} from "#shared/adapters/ses/email-sender";
import type { Metrics } from "#shared/domain/ports/metrics";
import { TEST_BUCKET } from "../support/global-setup";
import { profile, SequenceRandom, seedChannel, type TestApp, usersAndTeams } from "../support/harness";
import { apiHarness } from "../support/http";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));
const eventTemplate = JSON.parse(
  readFileSync(new URL("../fixtures/ses-receipt-event.json", import.meta.url), "utf8"),
) as SESEvent;
const s3 = createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT });

/** What the Metrics port was told, in order. */
class RecordedMetrics implements Metrics {
  readonly points: Array<{ name: string; value: number; dimensions?: Record<string, string> }> = [];
  count(name: string, value = 1, dimensions?: Record<string, string>) {
    this.points.push({ name, value, ...(dimensions ? { dimensions } : {}) });
  }
  milliseconds(name: string, value: number, dimensions?: Record<string, string>) {
    this.points.push({ name, value, ...(dimensions ? { dimensions } : {}) });
  }
}

/**
 * The SES client on the emulator, with SES's own refusal injected while `reject` is set: the sandbox's
 * "Email address is not verified" (MessageRejected, 400), which the emulator never raises.
 */
function sesRefusing() {
  const ses = createSesClient({ region: "us-east-1", endpoint: process.env.SES_ENDPOINT });
  const state = { reject: true, attempts: 0 };
  ses.middlewareStack.add(
    (next) => async (args) => {
      state.attempts++;
      if (state.reject) {
        throw Object.assign(
          new Error(
            "Email address is not verified. The following identities failed the check in region EU-WEST-1: " +
              "kim@customer.example",
          ),
          {
            name: "MessageRejected",
            $fault: "client",
            $metadata: { httpStatusCode: 400, requestId: "req-1" },
          },
        );
      }
      return next(args);
    },
    { step: "initialize", name: "sandboxRefusal" },
  );
  return { ses, state };
}

async function deliver(app: TestApp, raw: Buffer) {
  const sesMessageId = randomUUID().replace(/-/g, "");
  await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `inbound/${sesMessageId}`, Body: raw }));
  const event = structuredClone(eventTemplate);
  event.Records[0]!.ses.mail.messageId = sesMessageId;
  event.Records[0]!.ses.receipt.recipients = ["help@shop.example"];
  const [outcome] = await ingestSesEvent(event, {
    s3,
    email: app.email,
    config: { bucket: TEST_BUCKET, prefix: "inbound/" },
  });
  return (outcome as { conversationId: string }).conversationId;
}

describe("outbound email failures are never silent", () => {
  let logged: Array<Record<string, unknown>>;
  let metrics: RecordedMetrics;
  let observer: SendObserver;
  beforeEach(() => {
    logged = [];
    metrics = new RecordedMetrics();
    observer = { logger: { error: (message, extra) => logged.push({ message, ...extra }) }, metrics };
  });

  async function setup(rule: "users" | "owner") {
    const refusing = sesRefusing();
    const h = await apiHarness({
      random: new SequenceRandom([0]),
      emailSender: new SesCustomerEmailSender(refusing.ses, observer),
      notifier: new SesOwnerNotifier(
        refusing.ses,
        { from: "routing@shop.example", appUrl: "https://inbox.shop.example" },
        observer,
      ),
      replyFrom: "support@shop.example",
    });
    const { app } = h;
    await app.store.putUser(profile("alice"));
    await seedChannel(app, {
      channelId: "help",
      type: "email",
      address: "help@shop.example",
      rule: rule === "owner" ? { autoAssign: true, target: { type: "contact_owner" } } : usersAndTeams(["alice"]),
    });
    return { ...h, refusing };
  }

  it("a reply SES refuses is kept, marked not delivered with SES's error, logged and counted", async () => {
    const { app, call, refusing } = await setup("users");
    const id = await deliver(app, fixture("plain.eml"));
    app.clock.advance(1000);

    const res = await call({
      method: "POST",
      path: `/conversations/${id}/messages`,
      as: { sub: "alice" },
      body: { text: "It ships tomorrow." },
    });
    expect(res.status).toBe(201);
    expect(res.json.emailed).toBe(false);
    expect(res.json.message.delivery).toEqual({
      state: "failed",
      error: expect.stringMatching(/^MessageRejected: Email address is not verified/),
    });

    // What every agent sees afterwards: the stored reply says it was not delivered.
    const view = await call({ method: "GET", path: `/conversations/${id}`, as: { sub: "alice" } });
    const reply = view.json.messages.find((m: { text: string }) => m.text === "It ships tomorrow.");
    expect(reply.delivery).toMatchObject({ state: "failed" });

    expect(logged).toEqual([
      {
        message: "email not sent",
        kind: "reply",
        conversationId: id,
        sesError: {
          name: "MessageRejected",
          message: expect.stringMatching(/not verified/),
          httpStatusCode: 400,
          requestId: "req-1",
        },
      },
    ]);
    expect(metrics.points).toEqual([{ name: METRIC.emailSendFailed, value: 1 }]);
    expect(refusing.state.attempts).toBe(1);
  });

  it("a reply SES accepts is marked sent, and nothing is logged or counted", async () => {
    const { app, call, refusing } = await setup("users");
    refusing.state.reject = false;
    const id = await deliver(app, fixture("plain.eml"));
    app.clock.advance(1000);
    const res = await call({
      method: "POST",
      path: `/conversations/${id}/messages`,
      as: { sub: "alice" },
      body: { text: "On its way." },
    });
    expect(res.json).toMatchObject({ emailed: true, message: { delivery: { state: "sent" } } });
    const stored = (await app.store.listMessages(id)).find((m) => m.text === "On its way.");
    expect(stored?.delivery).toEqual({ state: "sent" });
    expect(logged).toEqual([]);
    expect(metrics.points).toEqual([]);
  });

  it("an owner notification SES refuses is logged, counted and noted in the thread; it stays assigned", async () => {
    const { app } = await setup("owner");
    await app.store.putContact({ id: "kim", email: "kim@customer.example", ownerId: "alice", visitorTokens: [] });
    const id = await deliver(app, fixture("plain.eml"));
    expect((await app.store.getConversation(id))?.assigneeId).toBe("alice");
    expect(logged).toMatchObject([
      {
        message: "email not sent",
        kind: "owner_notification",
        conversationId: id,
        sesError: { name: "MessageRejected" },
      },
    ]);
    expect(metrics.points).toEqual([{ name: METRIC.emailSendFailed, value: 1 }]);
    // The agents see it: a system note says the owner was not told, and why.
    const notes = (await app.store.listMessages(id)).filter((m) => m.author.kind === "system");
    expect(notes).toEqual([
      expect.objectContaining({
        text: expect.stringMatching(/^The email telling Alice \(offline\) about this conversation was not sent: /),
      }),
    ]);
    expect(notes[0]!.text).toMatch(/MessageRejected/);
  });
});

describe("the Metrics port as CloudWatch EMF (Powertools)", () => {
  const lines: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    lines.length = 0;
  });

  it("writes one EMF line per data point, in the service's namespace, with the service and given dimensions", () => {
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(capture as typeof process.stdout.write);
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    const m = new EmfMetrics({ serviceName: "routing-api" });
    m.count(METRIC.emailSendFailed);
    m.milliseconds(METRIC.timeToAssignmentMs, 42, { strategy: "least_busy" });
    const emf = lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.includes("_aws"))
      .map((l) => JSON.parse(l));
    expect(emf).toHaveLength(2);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [["service"]],
      Metrics: [{ Name: "EmailSendFailed", Unit: "Count" }],
    });
    expect(emf[0]).toMatchObject({ service: "routing-api", EmailSendFailed: 1 });
    expect(emf[1]._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual(["service", "strategy"]);
    expect(emf[1]).toMatchObject({ strategy: "least_busy", TimeToAssignmentMs: 42 });
    expect(emf[1]._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: "TimeToAssignmentMs", Unit: "Milliseconds" }]);
  });
});
