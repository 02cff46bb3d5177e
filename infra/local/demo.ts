import { formSigningSecret } from "#shared/http/signature";
import { issueToken } from "./gateway";

/**
 * A sample account, seeded through the HTTP API like an admin would (idempotent PUTs), and curl
 * commands that show each routing rule at work.
 */
export async function seedDemo(o: {
  baseUrl: string;
  adminToken: string;
  jwtSecret: string;
  formSigningKey: string;
  sesStore: string;
  log: (l: string) => void;
}) {
  const put = async (path: string, body: unknown) => {
    const res = await fetch(`${o.baseUrl}${path}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${o.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`demo seed: PUT ${path} answered ${res.status}: ${await res.text()}`);
  };
  const manual = { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } };
  await put("/teams/support", { name: "Support" });
  await put("/teams/sales", { name: "Sales" });
  await put("/users/alice", {
    name: "Alice",
    email: "alice@demo.local",
    seat: "service",
    primaryTeamId: "support",
    capacity: 10,
  });
  await put("/users/bob", { name: "Bob", email: "bob@demo.local", seat: "service", primaryTeamId: "support" });
  await put("/users/carol", { name: "Carol", email: "carol@demo.local", seat: "sales", primaryTeamId: "sales" });
  await put("/users/dave", { name: "Dave", email: "dave@demo.local", seat: "none", primaryTeamId: "support" });
  // An admin for the web inbox's Settings (no seat: routing never picks her).
  await put("/users/ada", { name: "Ada", email: "ada@demo.local", seat: "none", role: "admin" });
  await put("/inboxes/support", { name: "Support", access: { type: "everyone" } });
  await put("/inboxes/sales", { name: "Sales", access: { type: "restricted", teamIds: ["sales"], userIds: [] } });
  await put("/channels/web-chat", {
    inboxId: "support",
    type: "chat",
    name: "Website chat",
    routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["support"] } },
  });
  await put("/channels/help-bot", {
    inboxId: "support",
    type: "bot",
    name: "Help bot",
    routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["alice", "bob"], teamIds: [] } },
  });
  await put("/channels/help-email", {
    inboxId: "support",
    type: "email",
    name: "help@demo.local",
    address: "help@demo.local",
    routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["alice", "bob"], teamIds: [] } },
  });
  await put("/channels/sales-email", {
    inboxId: "sales",
    type: "email",
    name: "sales@demo.local",
    address: "sales@demo.local",
    routing: { autoAssign: true, target: { type: "contact_owner" } },
  });
  await put("/channels/contact-form", { inboxId: "support", type: "form", name: "Contact form", routing: manual });
  await put("/channels/contact-form/routing", {
    autoAssign: true,
    target: { type: "users_and_teams", userIds: ["alice", "bob"], teamIds: [] },
  });
  await put("/contacts/kim", {
    email: "kim@customer.example",
    name: "Kim",
    ownerId: "carol",
    visitorTokens: ["demo-visitor-kim-000000000"],
  });

  const alice = await issueToken(o.jwtSecret, "alice");
  const secret = formSigningSecret(o.formSigningKey, "contact-form");
  const u = o.baseUrl;
  o.log(
    "demo: seeded teams support/sales, users alice bob (support) carol (sales) dave (no seat), inboxes, 5 channels, " +
      "contact kim (owner carol)",
  );
  o.log(`demo: alice's token: ${alice}`);
  o.log(
    "demo: try these (copy one line at a time):\n" +
      "  # chat, least busy among the support team (alice, bob):\n" +
      `  curl -s -X POST ${u}/chat/web-chat/conversations -H 'content-type: application/json'` +
      ` -d '{"text":"Hi, my order is late"}'\n` +
      `  # alice's "Mine" view (GET /conversations/<id> adds the routing explanation):\n` +
      `  curl -s ${u}/inboxes/support/conversations?view=mine -H 'authorization: Bearer ${alice}'\n` +
      "  # team email, random among alice and bob; a reply with In-Reply-To threads into the same conversation:\n" +
      `  printf 'From: Lee <lee@customer.example>\\r\\nTo: help@demo.local\\r\\nSubject: Refund\\r\\n` +
      `Message-ID: <r1@customer.example>\\r\\n\\r\\nPlease refund me.\\r\\n'` +
      ` | curl -s -X POST ${u}/local/inbound-email -H 'content-type: message/rfc822' --data-binary @-\n` +
      `  printf 'From: Lee <lee@customer.example>\\r\\nTo: help@demo.local\\r\\nSubject: Re: Refund\\r\\n` +
      `Message-ID: <r2@customer.example>\\r\\nIn-Reply-To: <r1@customer.example>\\r\\n\\r\\nAny news?\\r\\n'` +
      ` | curl -s -X POST ${u}/local/inbound-email -H 'content-type: message/rfc822' --data-binary @-\n` +
      `  # contact owner: kim's email goes to carol, who is offline, so carol is emailed (see ${o.sesStore}):\n` +
      `  printf 'From: Kim <kim@customer.example>\\r\\nTo: sales@demo.local\\r\\nSubject: Quote\\r\\n` +
      `Message-ID: <q1@customer.example>\\r\\n\\r\\nCan I get a quote?\\r\\n'` +
      ` | curl -s -X POST ${u}/local/inbound-email -H 'content-type: message/rfc822' --data-binary @-\n` +
      `  # signed form submission (the channel's secret is ${secret}):\n` +
      `  BODY='{"submissionId":"demo-1","email":"max@customer.example","message":"Call me"}'; T=$(date +%s);` +
      ` SIG=$(printf '%s' "$T.$BODY" | openssl dgst -sha256 -hmac '${secret}' -hex | sed 's/^.* //');` +
      ` curl -s -X POST ${u}/forms/contact-form/submissions -H 'content-type: application/json'` +
      ` -H "x-routing-signature: t=$T,v1=$SIG" -d "$BODY"\n` +
      "  # bot chat: waits for the hand-off, then least busy among alice and bob:\n" +
      `  curl -s -X POST ${u}/chat/help-bot/conversations -H 'content-type: application/json'` +
      ` -d '{"text":"bot, I need a human","visitorToken":"demo-visitor-lee-000000000"}'\n` +
      `  #   then: curl -s -X POST ${u}/chat/conversations/<id>/handoff -H 'content-type: application/json'` +
      ` -d '{"visitorToken":"demo-visitor-lee-000000000"}'`,
  );
}
