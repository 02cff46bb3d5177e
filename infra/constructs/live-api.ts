import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { type CfnStage, WebSocketApi, WebSocketStage } from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { FilterCriteria, type Function as LambdaFunction, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { LIVE_STREAM_FILTERS } from "#shared/adapters/dynamo/stream";
import { RoutingFunction } from "./routing-function";

export interface LiveApiProps {
  /** The routing table, with its stream on. */
  readonly table: Table;
  /** Environment every function of the service gets (table, sender settings). */
  readonly environment: Record<string, string>;
  /** Functions that post to connections besides the fan-out (the API tells a user's sockets of a change). */
  readonly posters: LambdaFunction[];
  /** Steady-state messages per second over all sockets. @default 500 */
  readonly throttleRateLimit?: number;
}

/** The stage name, and the path clients open: `wss://<api>.execute-api.<region>.amazonaws.com/live`. */
export const LIVE_STAGE = "live";

/**
 * Live updates deployed (docs/design.md, Live updates): an API Gateway WebSocket API whose `$connect`,
 * `$disconnect` and `$default` routes run the socket function (`$connect` spends a one-use ticket and
 * refuses the socket otherwise); the table's stream read by the fan-out function through an event
 * source mapping whose filter criteria are the ones `npm start`'s poller applies (only conversations,
 * messages and the line moving invoke it), with partial batch failure reporting, bisecting, and an
 * SQS on-failure destination; `execute-api:ManageConnections` on this API's stage only.
 */
export class LiveApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** What tickets hand out: `wss://…/live`. */
  readonly url: string;
  /** The `@connections` endpoint posts go to: `https://…/live`. */
  readonly connectionsUrl: string;
  readonly socket: RoutingFunction;
  readonly fanout: RoutingFunction;
  /** Stream batches the fan-out gave up on (after its retries): what never reached the sockets. */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: LiveApiProps) {
    super(scope, id);
    this.socket = new RoutingFunction(this, "SocketFunction", {
      entry: "functions/live/handler.ts",
      description: "Conversation routing: live-update sockets (connect with a ticket, subscribe, disconnect)",
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: "routing-live" },
      timeout: Duration.seconds(10),
    });
    const integration = new WebSocketLambdaIntegration("Socket", this.socket.fn);
    this.api = new WebSocketApi(this, "Api", {
      description: "Conversation routing: live updates to the inbox and the chat widget",
      connectRouteOptions: { integration },
      disconnectRouteOptions: { integration },
      defaultRouteOptions: { integration },
    });
    this.stage = new WebSocketStage(this, "Stage", {
      webSocketApi: this.api,
      stageName: LIVE_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 500, burstLimit: (props.throttleRateLimit ?? 500) * 2 },
    });
    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    (this.stage.node.defaultChild as CfnStage).accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        ip: "$context.identity.sourceIp",
        route: "$context.routeKey",
        event: "$context.eventType",
        connectionId: "$context.connectionId",
        status: "$context.status",
        latencyMs: "$context.integrationLatency",
      }),
    };
    this.url = this.stage.url;
    this.connectionsUrl = this.stage.callbackUrl;

    this.fanout = new RoutingFunction(this, "FanoutFunction", {
      entry: "functions/fanout/handler.ts",
      description: "Conversation routing: the table's changes to the live sockets listening to them",
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: "routing-fanout" },
      timeout: Duration.seconds(30),
    });
    this.failures = new Queue(this, "Failures", {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.fanout.fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.millis(0),
        parallelizationFactor: 4,
        retryAttempts: 3,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        // A change older than this is of no use to a socket: the clients resume from their cursors.
        maxRecordAge: Duration.minutes(5),
        onFailure: new SqsDlq(this.failures),
        // Lambda's filter syntax is the patterns' own: the same JSON npm start's poller matches with.
        filters: LIVE_STREAM_FILTERS.map((pattern) =>
          FilterCriteria.filter(pattern as unknown as Record<string, unknown>),
        ),
      }),
    );

    // Posting is allowed on this API's stage only, never on every API of the account.
    const manage = new PolicyStatement({
      actions: ["execute-api:ManageConnections"],
      resources: [
        Stack.of(this).formatArn({
          service: "execute-api",
          resource: this.api.apiId,
          resourceName: `${LIVE_STAGE}/POST/@connections/*`,
        }),
        Stack.of(this).formatArn({
          service: "execute-api",
          resource: this.api.apiId,
          resourceName: `${LIVE_STAGE}/DELETE/@connections/*`,
        }),
      ],
    });
    for (const fn of [this.socket.fn, this.fanout.fn, ...props.posters]) {
      fn.addToRolePolicy(manage);
      fn.addEnvironment("LIVE_CONNECTIONS_URL", this.connectionsUrl);
      fn.addEnvironment("LIVE_URL", this.url);
    }
  }
}
