import { readFileSync } from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { APIGatewayProxyStructuredResultV2, Context, SESEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { ConfigError, readApiConfig, readInboundEmailConfig, readStoreConfig } from "#shared/config";
import { sqsEvent } from "../../infra/local/lapse-timer";
import { TEST_BUCKET } from "../support/global-setup";
import { clients, freshTable } from "../support/harness";
import { ADMIN, apiEvent } from "../support/http";

describe("the Lambda entry points, as deployed: config from the environment, clients at module scope", () => {
  it("functions/api, email, sweeper and lapse serve requests, SES events, the schedule and the timer", async () => {
    const tableName = await freshTable(clients());
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      FORM_SIGNING_KEY: "entry-point-key",
      NOTIFY_FROM: "routing@shop.example",
      APP_URL: "https://inbox.shop.example",
      INBOUND_BUCKET: TEST_BUCKET,
      INBOUND_PREFIX: "entry/",
    });
    const api = (await import("../../functions/api/handler")).handler;
    const call = async (c: Parameters<typeof apiEvent>[0]) =>
      (await api(apiEvent(c), {} as Context)) as APIGatewayProxyStructuredResultV2;
    expect((await call({ method: "GET", path: "/health", as: null })).statusCode).toBe(200);
    expect(
      (await call({ method: "PUT", path: "/inboxes/i", as: ADMIN, body: { name: "I", access: { type: "everyone" } } }))
        .statusCode,
    ).toBe(200);
    const channel = await call({
      method: "PUT",
      path: "/channels/mail",
      as: ADMIN,
      body: {
        inboxId: "i",
        type: "email",
        name: "Mail",
        address: "help@shop.example",
        routing: { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } },
      },
    });
    expect(channel.statusCode).toBe(201);

    const s3 = createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT });
    await s3.send(
      new PutObjectCommand({
        Bucket: TEST_BUCKET,
        Key: "entry/ses-entry-1",
        Body: readFileSync(new URL("../fixtures/email/plain.eml", import.meta.url)),
      }),
    );
    const event = JSON.parse(
      readFileSync(new URL("../fixtures/ses-receipt-event.json", import.meta.url), "utf8"),
    ) as SESEvent;
    event.Records[0]!.ses.mail.messageId = "ses-entry-1";
    const email = (await import("../../functions/email/handler")).handler;
    const out = await email(event);
    expect(out.outcomes[0]).toMatchObject({ type: "created" });

    // The sweeper, as EventBridge invokes it: walks every channel, drains what can be drained.
    const sweeper = (await import("../../functions/sweeper/handler")).handler;
    expect(await sweeper()).toEqual({ channels: 1, assigned: 0, failed: 0 });

    // A Lambda may freeze once it answers: the assignment an agent's return triggers is made before.
    await call({
      method: "PUT",
      path: "/users/ana",
      as: ADMIN,
      body: { name: "Ana", email: "a@x.io", seat: "service" },
    });
    await call({
      method: "PUT",
      path: "/channels/chat",
      as: ADMIN,
      body: {
        inboxId: "i",
        type: "chat",
        name: "Chat",
        routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["ana"], teamIds: [] } },
      },
    });
    const away = { availability: "away" };
    expect((await call({ method: "PUT", path: "/me/availability", as: { sub: "ana" }, body: away })).statusCode).toBe(
      200,
    );
    const started = await call({ method: "POST", path: "/chat/chat/conversations", as: null, body: { text: "hi" } });
    const { id } = JSON.parse(started.body!).conversation as { id: string };
    const back = { availability: "available" };
    expect((await call({ method: "PUT", path: "/me/availability", as: { sub: "ana" }, body: back })).statusCode).toBe(
      200,
    );
    const read = (await call({ method: "GET", path: `/conversations/${id}`, as: { sub: "ana" } })).body!;
    expect(JSON.parse(read)).toMatchObject({ assigneeId: "ana" });

    // The lapse function, as its SQS event source mapping invokes it: a clock that is not running is stale.
    const lapse = (await import("../../functions/lapse/handler")).handler;
    const timerEvent = sqsEvent({ conversationId: id, at: new Date().toISOString() });
    expect(await lapse(timerEvent)).toEqual({ batchItemFailures: [] });
  });

  it("missing configuration fails loudly, naming the variable", () => {
    expect(() => readStoreConfig({})).toThrow(new ConfigError("missing environment variable TABLE_NAME"));
    expect(() => readApiConfig({})).toThrow(/FORM_SIGNING_KEY/);
    expect(() => readInboundEmailConfig({ INBOUND_BUCKET: "b" } as NodeJS.ProcessEnv)).not.toThrow();
    expect(() => readStoreConfig({ TABLE_NAME: "t", DYNAMODB_ENDPOINT: "not a url" })).toThrow(
      /DYNAMODB_ENDPOINT is not a URL/,
    );
  });
});
