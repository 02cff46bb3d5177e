import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { type CfnStage, CorsHttpMethod, HttpApi, HttpMethod, type HttpRoute } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { UserPool } from "aws-cdk-lib/aws-cognito";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { CORS_POLICY, needsToken, ROUTES, type RouteSpec } from "#shared/http/route-table";

/** Requests per second and burst for one route. */
export interface RouteThrottle {
  readonly rate: number;
  readonly burst: number;
}

/**
 * Limits for the routes anyone can call, so an anonymous flood on one of them never uses up the stage's
 * capacity that agents depend on. Creating a chat is the costliest (a routing transaction) and the
 * one a script would hammer; the form webhook is called by one provider per channel.
 */
export const PUBLIC_ROUTE_THROTTLES: Record<string, RouteThrottle> = {
  "POST /chat/{channelId}/conversations": { rate: 20, burst: 40 },
  "POST /chat/conversations/{conversationId}/messages": { rate: 50, burst: 100 },
  "GET /chat/conversations/{conversationId}/messages": { rate: 100, burst: 200 },
  "POST /chat/conversations/{conversationId}/handoff": { rate: 20, burst: 40 },
  "POST /chat/identify": { rate: 20, burst: 40 },
  "POST /forms/{channelId}/submissions": { rate: 20, burst: 40 },
  "GET /health": { rate: 5, burst: 10 },
};
/** Any public route without its own entry above. */
export const DEFAULT_PUBLIC_THROTTLE: RouteThrottle = { rate: 20, burst: 40 };

const routeKey = (r: RouteSpec) => `${r.method} ${r.path}`;

export interface RoutingHttpApiProps {
  /** The function behind every route. */
  readonly handler: IFunction;
  /** Whose tokens the agent and admin routes accept. */
  readonly userPool: UserPool;
  /** App clients whose tokens are accepted (the JWT's `aud` / `client_id`). */
  readonly clientIds: string[];
  /** Origins of the chat widget (CORS). @default none */
  readonly allowedOrigins?: string[];
  /** Steady-state requests per second for the whole API. @default 200 */
  readonly throttleRateLimit?: number;
  /** Burst of requests above the rate. @default 400 */
  readonly throttleBurstLimit?: number;
  /** Per-route limits on the public routes. @default PUBLIC_ROUTE_THROTTLES */
  readonly publicRouteThrottles?: Record<string, RouteThrottle>;
}

/**
 * The HTTP API (API Gateway v2): one route per entry of the route table, the Cognito JWT authorizer on
 * the admin and agent routes, the visitor chat, form webhook and health routes public on purpose (the
 * visitor token and the HMAC signature identify those callers), stage throttling and access logs.
 */
export class RoutingHttpApi extends Construct {
  readonly api: HttpApi;
  readonly routes: HttpRoute[] = [];

  constructor(scope: Construct, id: string, props: RoutingHttpApiProps) {
    super(scope, id);
    const authorizer = new HttpJwtAuthorizer("Jwt", props.userPool.userPoolProviderUrl, {
      jwtAudience: props.clientIds,
    });
    const origins = props.allowedOrigins ?? [];
    this.api = new HttpApi(this, "Api", {
      description: "Conversation routing: agents, admins, visitor chat, form webhooks",
      ...(origins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: origins,
              allowCredentials: CORS_POLICY.allowCredentials,
              allowMethods: CORS_POLICY.allowMethods.map((m) => CorsHttpMethod[m]),
              allowHeaders: [...CORS_POLICY.allowHeaders],
              maxAge: Duration.seconds(CORS_POLICY.maxAgeSeconds),
            },
          }
        : {}),
    });

    const integration = new HttpLambdaIntegration("Lambda", props.handler);
    for (const route of ROUTES) {
      if (route.method === "OPTIONS") continue; // preflight is API Gateway's CORS configuration
      const isProtected = needsToken(route);
      this.routes.push(
        ...this.api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          ...(isProtected ? { authorizer } : {}),
        }),
      );
    }

    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
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
    const throttles = props.publicRouteThrottles ?? PUBLIC_ROUTE_THROTTLES;
    stage.routeSettings = Object.fromEntries(
      ROUTES.filter((r) => r.method !== "OPTIONS" && !needsToken(r)).map((r) => {
        const t = throttles[routeKey(r)] ?? DEFAULT_PUBLIC_THROTTLE;
        return [routeKey(r), { ThrottlingRateLimit: t.rate, ThrottlingBurstLimit: t.burst }];
      }),
    );
    // Route settings name routes by key: the stage must be updated after the routes exist.
    for (const route of this.routes) stage.node.addDependency(route);
  }
}
