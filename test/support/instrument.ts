import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

const WRITES = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand", "TransactWriteItemsCommand", "BatchWriteItemCommand"]);

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
export function injectFaults(client: DynamoDBClient, shouldFail: (commandName: string, call: number) => "throttle" | "conflict" | null) {
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
        throw Object.assign(new Error("Transaction cancelled, please refer cancellation reasons for specific reasons"), {
          name: "TransactionCanceledException",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: Array.from({ length: items }, (_, i) =>
            i === 0 ? { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" } : { Code: "None" },
          ),
        });
      }
      return next(args);
    },
    // "initialize" runs once per command, outside the SDK's retry loop: the router's own retry is tested.
    { step: "initialize", name: `injectFaults-${Math.random()}` },
  );
  return injected;
}
