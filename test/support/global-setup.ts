import { startDynoxide } from "../../infra/local/dynoxide";

/**
 * One in-memory dynoxide for the whole run (each test file makes its own table), unless
 * DYNAMODB_ENDPOINT already names a DynamoDB-compatible endpoint to use instead.
 */
export default async function setup() {
  if (process.env.DYNAMODB_ENDPOINT) return;
  const dynamo = await startDynoxide();
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  return async () => {
    await dynamo.stop();
  };
}
