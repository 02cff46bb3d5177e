import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

const WRITES = new Set([
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
]);

/** Counts DynamoDB calls by command name, via SDK middleware (nothing is mocked). */
export function countCalls(client: DynamoDBClient) {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: `countCalls-${Math.random()}` },
  );
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    writes: () => [...counts].filter(([k]) => WRITES.has(k)).reduce((a, [, v]) => a + v, 0),
    reset: () => counts.clear(),
  };
}

/**
 * Injects faults the emulator never raises: a throttling error or a TransactionConflict
 * cancellation, before the request is sent, on the calls `shouldFail` picks. `call` counts the
 * calls of that command only (0, 1, 2...).
 */
export function injectFaults(
  client: DynamoDBClient,
  shouldFail: (commandName: string, call: number) => "throttle" | "conflict" | null,
) {
  const calls = new Map<string, number>();
  const injected = { throttle: 0, conflict: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const call = calls.get(name) ?? 0;
      calls.set(name, call + 1);
      const fault = shouldFail(name, call);
      if (fault === "throttle") {
        injected.throttle++;
        throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
          name: "ThrottlingException",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (fault === "conflict" && name === "TransactWriteItemsCommand") {
        injected.conflict++;
        const items = ((args.input as { TransactItems?: unknown[] }).TransactItems ?? []).length;
        throw Object.assign(
          new Error("Transaction cancelled, please refer cancellation reasons for specific reasons"),
          {
            name: "TransactionCanceledException",
            $fault: "client",
            $metadata: { httpStatusCode: 400 },
            CancellationReasons: Array.from({ length: items }, (_, i) =>
              i === 0
                ? { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }
                : { Code: "None" },
            ),
          },
        );
      }
      return next(args);
    },
    // "initialize" runs once per command, outside the SDK's retry loop: the router's own retry is tested.
    { step: "initialize", name: `injectFaults-${Math.random()}` },
  );
  return injected;
}

type Rec = Record<string, unknown>;

/** The partition key of an item or key, marshalled (`{S: ...}`) or not. */
function pkOf(item: unknown): string | null {
  const pk = (item as Rec | undefined)?.pk;
  if (typeof pk === "string") return pk;
  if (pk && typeof pk === "object" && typeof (pk as Rec).S === "string") return (pk as Rec).S as string;
  return null;
}

/**
 * What the table answered, measured in the SDK client: items returned and their size (JSON bytes of
 * the items), and the read and write units DynamoDB (or the emulator) reports when asked with
 * ReturnConsumedCapacity, which this middleware adds to every call. Nothing is mocked.
 */
export function measureTraffic(client: DynamoDBClient) {
  const t = {
    itemsRead: 0,
    bytesRead: 0,
    readUnits: 0,
    writeUnits: 0,
    itemWrites: 0,
    writesByKey: new Map<string, number>(),
  };
  const addWrite = (pk: string | null) => {
    if (!pk) return;
    t.itemWrites++;
    t.writesByKey.set(pk, (t.writesByKey.get(pk) ?? 0) + 1);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const input = args.input as Rec;
      input.ReturnConsumedCapacity ??= "TOTAL";
      const out = await next(args);
      const output = out.output as unknown as Rec;
      const returned: unknown[] = [];
      if (output.Item) returned.push(output.Item);
      if (Array.isArray(output.Items)) returned.push(...output.Items);
      if (output.Responses && typeof output.Responses === "object") {
        for (const list of Object.values(output.Responses as Rec)) if (Array.isArray(list)) returned.push(...list);
      }
      if (name !== "TransactWriteItemsCommand") {
        t.itemsRead += returned.length;
        for (const item of returned) t.bytesRead += JSON.stringify(item).length;
      }
      const consumed = ([] as Rec[]).concat((output.ConsumedCapacity as Rec | Rec[] | undefined) ?? []);
      const units = consumed.reduce((s, c) => s + (Number(c.CapacityUnits) || 0), 0);
      if (WRITES.has(name)) t.writeUnits += units;
      else t.readUnits += units;
      if (name === "TransactWriteItemsCommand") {
        for (const ti of (input.TransactItems as Rec[] | undefined) ?? []) {
          const w =
            (ti.Put as Rec | undefined)?.Item ??
            (ti.Update as Rec | undefined)?.Key ??
            (ti.Delete as Rec | undefined)?.Key;
          if (w) addWrite(pkOf(w));
        }
      } else if (name === "PutItemCommand") addWrite(pkOf(input.Item));
      else if (name === "UpdateItemCommand" || name === "DeleteItemCommand") addWrite(pkOf(input.Key));
      return out;
    },
    { step: "initialize", name: `measureTraffic-${Math.random()}` },
  );
  return {
    traffic: t,
    /** The key written most, and its share of all item writes. */
    hottest: () => {
      let top: [string, number] = ["", 0];
      for (const e of t.writesByKey) if (e[1] > top[1]) top = e;
      return { key: top[0], writes: top[1], share: t.itemWrites === 0 ? 0 : top[1] / t.itemWrites };
    },
    reset: () => {
      Object.assign(t, { itemsRead: 0, bytesRead: 0, readUnits: 0, writeUnits: 0, itemWrites: 0 });
      t.writesByKey.clear();
    },
  };
}
