import { CfnOutput, Duration, RemovalPolicy } from "aws-cdk-lib";
import { type CfnStage, CorsHttpMethod, HttpApi, HttpMethod, type HttpRoute } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { AccountRecovery, FeaturePlan, Mfa, StandardThreatProtectionMode, UserPool, type UserPoolClient } from "aws-cdk-lib/aws-cognito";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { ROUTES } from "../../shared/http/route-table";

export interface RoutingHttpApiProps {
  /** The function behind every route. */
  readonly handler: IFunction;
  /** Origins of the chat widget (CORS). @default none */
  readonly allowedOrigins?: string[];
  /** Steady-state requests per second for the whole API. @default 200 */
  readonly throttleRateLimit?: number;
  /** Burst of requests above the rate. @default 400 */
  readonly throttleBurstLimit?: number;
}

/**
 * The HTTP API (API Gateway v2): one route per entry of the route table, the Cognito JWT authorizer on
 * the admin and agent routes, the visitor chat, form webhook and health routes public on purpose (the
 * visitor token and the HMAC signature identify those callers), stage throttling and access logs.
 */
export class RoutingHttpApi extends Construct {
  readonly api: HttpApi;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly routes: HttpRoute[] = [];

  constructor(scope: Construct, id: string, props: RoutingHttpApiProps) {
    super(scope, id);
    this.userPool = new UserPool(this, "Users", {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      // Agents read customers' conversations: a second factor is required.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool.addGroup("Admins", { groupName: "admins", description: "May configure users, teams, inboxes, channels and contacts" });
    this.userPoolClient = this.userPool.addClient("InboxApp", { authFlows: { userSrp: true }, accessTokenValidity: Duration.hours(1) });

    const authorizer = new HttpJwtAuthorizer("Jwt", this.userPool.userPoolProviderUrl, { jwtAudience: [this.userPoolClient.userPoolClientId] });
    const origins = props.allowedOrigins ?? [];
    this.api = new HttpApi(this, "Api", {
      description: "Conversation routing: agents, admins, visitor chat, form webhooks",
      ...(origins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: origins,
              allowCredentials: true,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT],
              allowHeaders: ["content-type", "authorization", "x-routing-signature"],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });

    const integration = new HttpLambdaIntegration("Lambda", props.handler);
    for (const route of ROUTES) {
      if (route.method === "OPTIONS") continue; // preflight is API Gateway's CORS configuration
      const isProtected = route.auth === "admin" || route.auth === "agent";
      this.routes.push(
        ...this.api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          ...(isProtected ? { authorizer } : {}),
        }),
      );
    }

    const accessLogs = new LogGroup(this, "AccessLogs", { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const stage = this.api.defaultStage!.node.defaultChild as CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        ip: "$context.identity.sourceIp",
        method: "$context.httpMethod",
        route: "$context.routeKey",
        status: "$context.status",
        latencyMs: "$context.responseLatency",
        user: "$context.authorizer.claims.sub",
      }),
    };
    stage.defaultRouteSettings = {
      throttlingRateLimit: props.throttleRateLimit ?? 200,
      throttlingBurstLimit: props.throttleBurstLimit ?? 400,
    };

    new CfnOutput(this, "Url", { value: this.api.apiEndpoint, description: "Base URL of the API" });
    new CfnOutput(this, "UserPoolId", { value: this.userPool.userPoolId });
    new CfnOutput(this, "UserPoolClientId", { value: this.userPoolClient.userPoolClientId });
  }
}
