import { SendMessageBatchCommand, type SendMessageBatchCommandInput } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createSqsClient, handleLapseEvent, SqsLapseTimer } from "#shared/adapters/sqs/lapse-queue";
import type { LapseTimer } from "#shared/domain/ports/lapses";
import { LocalLapseTimer, sqsEvent } from "../../infra/local/lapse-timer";
import { created, profile, seedChannel, TestClock, testApp, usersAndTeams } from "../support/harness";
import { injectFaults } from "../support/instrument";

const rule = { ...usersAndTeams(["alice", "bob"]), rerouteAfter: { seconds: 60, maxTimes: 1 } };
const quiet = { info: () => {}, error: () => {} };

async function appWith(timer: LapseTimer, clock = new TestClock()) {
  const app = await testApp({ lapseTimer: timer, clock });
  for (const id of ["alice", "bob"]) await app.store.putUser(profile(id));
  await seedChannel(app, { rule });
  return app;
}
const chat = (app: Awaited<ReturnType<typeof appWith>>) =>
  app.inbound.receive({ channelId: "chat-1", accepts: ["chat"], text: "hi", contactKey: null }).then(created);

describe("the re-route timer under npm start: the SQS event, the same handler (docs/routing.md §5.6)", () => {
  it("holds each clock until its deadline, then hands the lapse handler the event SQS would", async () => {
    const clock = new TestClock();
    const waits: Array<{ ms: number; fire: () => void }> = [];
    const timer = new LocalLapseTimer(
      () => clock.now().getTime(),
      (ms, fire) => {
        waits.push({ ms, fire });
        return () => {};
      },
    );
    const app = await appWith(timer, clock);
    const events: unknown[] = [];
    timer.attach(async (event) => {
      events.push(event);
      return handleLapseEvent(event, app.reroute, quiet);
    });
    const { conversation } = await chat(app);
    expect(waits.map((w) => w.ms)).toEqual([60_000]);
    clock.advance(60_000);
    waits[0]!.fire();
    await expect.poll(async () => (await app.store.getConversation(conversation.id))?.assigneeId).toBe("bob");
    expect(events[0]).toMatchObject({
      Records: [
        {
          eventSource: "aws:sqs",
          body: JSON.stringify({ conversationId: conversation.id, at: "2026-11-24T10:01:00.000Z" }),
        },
      ],
    });
  });

  it("a lapse that fails is reported alone and delivered again; a message that is no timer's is dropped", async () => {
    const app = await appWith({ schedule: async () => undefined });
    const { conversation } = await chat(app);
    app.clock.advance(60_000);
    const faults = injectFaults(app.db.client, (name) => (name === "GetItemCommand" ? "throttle" : null));
    const good = sqsEvent({ conversationId: conversation.id, at: "2026-11-24T10:01:00.000Z" }).Records[0]!;
    const poison = { ...good, messageId: "poison", body: "not json" };
    const failing = await handleLapseEvent({ Records: [poison, good] }, app.reroute, quiet);
    expect(faults.throttle).toBeGreaterThan(0);
    expect(failing.batchItemFailures).toEqual([{ itemIdentifier: good.messageId }]);
  });
});

describe("the re-route timer deployed: an SQS delay queue", () => {
  it("sends one delayed message per clock, ten to a batch, delayed to each deadline (at most 15 minutes)", async () => {
    const sqs = createSqsClient({ region: "us-east-1", endpoint: "http://127.0.0.1:9" });
    const sent: SendMessageBatchCommandInput[] = [];
    // No SQS emulator runs here: the request is taken at the SDK's edge, as SQS would receive it.
    sqs.middlewareStack.add(
      (_next, context) => async (args) => {
        if (context.commandName !== SendMessageBatchCommand.name) throw new Error("unexpected call");
        sent.push(args.input as SendMessageBatchCommandInput);
        return { output: { Successful: [], Failed: [], $metadata: {} }, response: {} };
      },
      { step: "initialize", name: "captureSqs" },
    );
    const clock = new TestClock();
    const timer = new SqsLapseTimer(sqs, "https://sqs.eu-west-1.amazonaws.com/123/lapses", clock);
    const lapses = Array.from({ length: 12 }, (_, i) => ({
      conversationId: `c${i}`,
      at: new Date(clock.now().getTime() + (i === 11 ? 2_000_000 : i * 1500)).toISOString(),
    }));
    await timer.schedule(lapses);
    expect(sent.map((b) => b.Entries?.length)).toEqual([10, 2]);
    const entries = sent.flatMap((b) => b.Entries ?? []);
    expect(entries.map((e) => e.DelaySeconds)).toEqual([0, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 900]);
    expect(JSON.parse(entries[3]!.MessageBody!)).toEqual({ conversationId: "c3", at: lapses[3]!.at });
    expect(sent[0]!.QueueUrl).toBe("https://sqs.eu-west-1.amazonaws.com/123/lapses");
  });

  it("a refused send never fails the assignment: it is counted, and the sweeper catches the clock", async () => {
    const counted: string[] = [];
    const failing: LapseTimer = {
      schedule: async () => {
        throw new Error("SQS refused 1 lapse timer(s)");
      },
    };
    const app = await testApp({
      lapseTimer: failing,
      metrics: { count: (name) => counted.push(name), milliseconds: () => {} },
    });
    for (const id of ["alice", "bob"]) await app.store.putUser(profile(id));
    await seedChannel(app, { rule });
    const { conversation } = await chat(app);
    expect(conversation.assigneeId).toBe("alice");
    expect(counted).toContain("LapseTimerFailed");
    app.clock.advance(60_000);
    await app.sweep();
    expect((await app.store.getConversation(conversation.id))?.assigneeId).toBe("bob");
  });
});
