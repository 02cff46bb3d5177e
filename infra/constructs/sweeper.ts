import { Duration } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface SweeperProps {
  /** The sweeper function (functions/sweeper/handler.ts). */
  readonly handler: IFunction;
  /** How often the lines are swept. @default Duration.minutes(1) */
  readonly every?: Duration;
}

/**
 * The waiting line's backstop (docs/routing.md §5.5): an EventBridge schedule invoking the sweeper, so
 * no waiting conversation depends on one request having run. A sweep that fails is retried by the next.
 */
export class Sweeper extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.rule = new Rule(this, "Schedule", {
      description: "Drain every channel's waiting line and stale routing queues",
      schedule: Schedule.rate(props.every ?? Duration.minutes(1)),
      targets: [new LambdaFunction(props.handler, { retryAttempts: 0 })],
    });
  }
}
