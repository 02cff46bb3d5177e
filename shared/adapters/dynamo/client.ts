import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface DynamoClientOptions {
  region: string;
  /** A DynamoDB-compatible endpoint (dynoxide); undefined = AWS. */
  endpoint?: string | undefined;
  /** Extra SDK settings (retry strategy, max attempts) for tests and benchmarks. */
  overrides?: Partial<DynamoDBClientConfig>;
}

/**
 * The one factory for DynamoDB clients: Lambdas call it once at module scope, tests and `npm start`
 * point the same code at the emulator through `endpoint`.
 */
export function createDynamoClients(opts: DynamoClientOptions) {
  const local = opts.endpoint !== undefined;
  const client = new DynamoDBClient({
    region: opts.region,
    ...(local ? { endpoint: opts.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
    ...opts.overrides,
  });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return { client, doc };
}

export type DynamoClients = ReturnType<typeof createDynamoClients>;
