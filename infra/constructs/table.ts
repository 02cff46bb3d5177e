import { RemovalPolicy } from "aws-cdk-lib";
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  ProjectionType,
  StreamViewType,
  Table,
} from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from "#shared/adapters/dynamo/table";

export interface RoutingTableProps {
  /** What happens to the data when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one table, from the same definition the tests and `npm start` create it from: on-demand,
 * point-in-time recovery, deletion protection, TTL for dedupe records, the indexes the views read.
 */
export class RoutingTable extends Construct {
  /** The logical id is pinned: renaming constructs must never replace the table and its data. */
  static readonly LOGICAL_ID = "RoutingTable";
  readonly table: Table;

  constructor(scope: Construct, id: string, props: RoutingTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The live fan-out reads every write's new image (infra/constructs/live-api.ts).
      stream: StreamViewType.NEW_IMAGE,
      removalPolicy,
    });
    for (const ix of INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: ix.name,
        partitionKey: { name: ix.partitionKey, type: AttributeType.STRING },
        sortKey: { name: ix.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[ix.projection],
        ...(ix.nonKeyAttributes ? { nonKeyAttributes: [...ix.nonKeyAttributes] } : {}),
      });
    }
    (this.table.node.defaultChild as CfnTable).overrideLogicalId(RoutingTable.LOGICAL_ID);
  }
}
