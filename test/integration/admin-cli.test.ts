import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { createAdmin, parseAdminArgs } from "../../infra/cli/admin-bootstrap";
import { authorizeUrl, browserLogin, refreshTokens } from "../../infra/cli/oauth";
import { CliError, readStackOutputs, regionOfUserPool } from "../../infra/cli/stack-outputs";
import { testApp } from "../support/harness";

describe("npm run admin: arguments", () => {
  it("create --email, with a name and the stack's outputs file", () => {
    expect(parseAdminArgs(["create", "--email", "Ana@Shop.test", "--name", "Ana Diaz"])).toEqual({
      command: "create",
      email: "ana@shop.test",
      name: "Ana Diaz",
      stack: undefined,
      outputs: "cdk-outputs.json",
    });
    expect(parseAdminArgs(["create", "--email=ana@shop.test", "--stack", "Prod", "--outputs", "o.json"])).toMatchObject(
      { name: "ana", stack: "Prod", outputs: "o.json" },
    );
  });

  it("says what is wrong, with the usage", () => {
    for (const [argv, why] of [
      [[], /no command/],
      [["delete", "--email", "a@b.test"], /unknown command delete/],
      [["create"], /--email is required/],
      [["create", "--email", "not-an-address"], /is not an email address/],
      [["create", "--email", "a@b.test", "--admin"], /Unknown option '--admin'/],
      [["create", "extra", "--email", "a@b.test"], /unexpected extra/],
    ] as const) {
      expect(() => parseAdminArgs([...argv])).toThrow(CliError);
      expect(() => parseAdminArgs([...argv])).toThrow(why);
    }
    expect(() => parseAdminArgs(["create"])).toThrow(/usage: npm run admin -- create --email/);
  });

  it("reads the stack's outputs from the file npm run deploy writes, and the region from the pool id", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "outputs-"));
    const file = path.join(dir, "cdk-outputs.json");
    expect(() => readStackOutputs(file, undefined)).toThrow(/not found: run npm run deploy first/);
    writeFileSync(file, JSON.stringify({ ConversationRouting: { UserPoolId: "eu-west-1_AbC", TableName: "T" } }));
    expect(readStackOutputs(file, undefined)).toEqual({ UserPoolId: "eu-west-1_AbC", TableName: "T" });
    expect(() => readStackOutputs(file, "Other")).toThrow(/has no stack Other/);
    expect(regionOfUserPool("eu-west-1_AbC")).toBe("eu-west-1");
  });
});

/**
 * Cognito has no emulator: the SDK client is real, and a middleware answers at the end of its stack as
 * Cognito would (after serialization, so the request really is built), recording each call.
 */
function cognitoAnswering(answer: (command: string, input: Record<string, unknown>) => unknown) {
  const cognito = new CognitoIdentityProviderClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const calls: Array<[string, Record<string, unknown>]> = [];
  cognito.middlewareStack.add(
    (_next, context) => async (args) => {
      const name = String(context.commandName);
      calls.push([name, args.input as Record<string, unknown>]);
      return {
        output: { $metadata: {}, ...(answer(name, args.input as Record<string, unknown>) as object) },
        response: {},
      };
    },
    { step: "serialize", priority: "low", name: "cognitoAnswers" },
  );
  return { cognito, calls };
}

describe("npm run admin -- create: the first admin, with only deploy credentials", () => {
  it("creates the Cognito user, adds them to admins, and creates their routing user under their sub", async () => {
    const app = await testApp();
    const { cognito, calls } = cognitoAnswering((name) =>
      name === "AdminCreateUserCommand"
        ? { User: { Username: "ana@shop.test", Attributes: [{ Name: "sub", Value: "sub-ana" }] } }
        : {},
    );
    const r = await createAdmin(
      { cognito, app, userPoolId: "eu-west-1_Pool" },
      { email: "ana@shop.test", name: "Ana" },
    );
    expect(r.created).toBe(true);
    expect(calls.map(([n]) => n)).toEqual([AdminCreateUserCommand.name, AdminAddUserToGroupCommand.name]);
    expect(calls[0]![1]).toMatchObject({
      UserPoolId: "eu-west-1_Pool",
      Username: "ana@shop.test",
      DesiredDeliveryMediums: ["EMAIL"],
    });
    expect(calls[1]![1]).toEqual({ UserPoolId: "eu-west-1_Pool", Username: "ana@shop.test", GroupName: "admins" });
    expect(await app.store.getUser("sub-ana")).toMatchObject({
      id: "sub-ana",
      email: "ana@shop.test",
      name: "Ana",
      role: "admin",
    });
  });

  it("a rerun for an existing Cognito user reuses it and finishes the job", async () => {
    const app = await testApp();
    const { cognito, calls } = cognitoAnswering((name) => {
      if (name === "AdminCreateUserCommand")
        throw new UsernameExistsException({ message: "User account already exists", $metadata: {} });
      return name === "AdminGetUserCommand"
        ? { Username: "ana@shop.test", UserAttributes: [{ Name: "sub", Value: "sub-ana" }] }
        : {};
    });
    const r = await createAdmin(
      { cognito, app, userPoolId: "eu-west-1_Pool" },
      { email: "ana@shop.test", name: "Ana" },
    );
    expect(r.created).toBe(false);
    expect(calls.map(([n]) => n)).toEqual([
      AdminCreateUserCommand.name,
      AdminGetUserCommand.name,
      AdminAddUserToGroupCommand.name,
    ]);
    expect((await app.store.getUser("sub-ana"))?.email).toBe("ana@shop.test");
  });

  it("when Cognito refuses the group, no routing user is created and the error says why", async () => {
    const app = await testApp();
    const { cognito } = cognitoAnswering((name) => {
      if (name === "AdminAddUserToGroupCommand")
        throw Object.assign(new Error("User is not authorized to perform: cognito-idp:AdminAddUserToGroup"), {
          name: "AccessDeniedException",
        });
      return { User: { Attributes: [{ Name: "sub", Value: "sub-bo" }] } };
    });
    await expect(
      createAdmin({ cognito, app, userPoolId: "eu-west-1_Pool" }, { email: "bo@shop.test", name: "Bo" }),
    ).rejects.toThrow(/not authorized/);
    expect(await app.store.getUser("sub-bo")).toBeNull();
  });
});

describe("npm run login: a token for an agent or a script (authorization code with PKCE)", () => {
  it("the sign-in URL asks for a code with an S256 challenge, never a token", () => {
    const u = new URL(
      authorizeUrl({
        loginUrl: "https://x.auth.eu-west-1.amazoncognito.com",
        clientId: "c",
        redirectUri: "http://localhost:8976/callback",
        challenge: "ch",
        state: "st",
      }),
    );
    expect(u.pathname).toBe("/oauth2/authorize");
    expect(Object.fromEntries(u.searchParams)).toEqual({
      response_type: "code",
      client_id: "c",
      redirect_uri: "http://localhost:8976/callback",
      scope: "openid email profile",
      code_challenge: "ch",
      code_challenge_method: "S256",
      state: "st",
    });
  });

  it("signs in through the login page, proves the verifier, and trades a refresh token later", async () => {
    // The authorization server's side of the flow, on a local port, checking exactly what Cognito checks.
    let challenge = "";
    const forms: Array<Record<string, string>> = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url!, "http://localhost");
      if (url.pathname === "/oauth2/authorize") {
        challenge = url.searchParams.get("code_challenge")!;
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.search = new URLSearchParams({ code: "the-code", state: url.searchParams.get("state")! }).toString();
        return void res.writeHead(302, { location: back.toString() }).end();
      }
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        forms.push(form);
        const pkceOk =
          form.grant_type === "refresh_token" ||
          createHash("sha256")
            .update(form.code_verifier ?? "")
            .digest("base64url") === challenge;
        res.writeHead(pkceOk ? 200 : 400, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            pkceOk
              ? {
                  access_token: `access-${form.grant_type}`,
                  refresh_token: "refresh-1",
                  expires_in: 3600,
                  token_type: "Bearer",
                }
              : { error: "invalid_grant" },
          ),
        );
      });
    });
    await new Promise<void>((r) => server.listen(3491, "127.0.0.1", () => r()));
    try {
      const loginUrl = "http://127.0.0.1:3491";
      const tokens = await browserLogin({
        loginUrl,
        clientId: "client-1",
        redirectUri: "http://localhost:3492/callback",
        // The person's browser: follows the login page's redirect back to the CLI's callback.
        open: (url) =>
          void fetch(url, { redirect: "manual" }).then((r) =>
            fetch(r.headers.get("location")!.replace("localhost", "127.0.0.1")),
          ),
      });
      expect(tokens.access_token).toBe("access-authorization_code");
      expect(forms[0]).toMatchObject({
        grant_type: "authorization_code",
        client_id: "client-1",
        code: "the-code",
        redirect_uri: "http://localhost:3492/callback",
      });
      expect((await refreshTokens({ loginUrl, clientId: "client-1", refreshToken: "refresh-1" })).access_token).toBe(
        "access-refresh_token",
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
