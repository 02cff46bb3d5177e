import { readFileSync } from "node:fs";
import path from "node:path";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { ICertificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  AllowedMethods,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { BucketDeployment, Source } from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import { buildWeb, WEB_DIST } from "../../web/build";

export interface WebHostingProps {
  /** Base URL of the HTTP API: written to `config.json`, and the only origin the inbox may call. */
  readonly apiUrl: string;
  /** Cognito managed login (domain and PKCE app client). @default none: `config.json` says `auth: null` */
  readonly auth?: { readonly domainUrl: string; readonly clientId: string };
  /** A folder holding the built inbox and widget. @default `web/` is built into `web/dist` at synth */
  readonly sourceDir?: string;
  /**
   * Serve the inbox on your own domain: `url` is an origin (`https://inbox.yourcompany.com`), `certificate`
   * an ACM certificate in us-east-1 for its host. Then `url` is the inbox's URL (config.json's redirect).
   * @default the distribution's own `https://<id>.cloudfront.net`
   */
  readonly customDomain?: { readonly url: string; readonly certificate: ICertificate };
  /** Origins the inbox shows pictures from and uploads files to (presigned S3 links). @default none */
  readonly fileOrigins?: string[];
  /** The live-update WebSocket endpoint (`wss://…`): in `config.json` and the CSP. @default none: the inbox polls */
  readonly liveUrl?: string;
}

/** The inbox's `config.json`: where the API is, and Cognito's managed login (null = none). */
export function webConfig(props: Pick<WebHostingProps, "apiUrl" | "auth" | "liveUrl">, siteUrl: string) {
  return {
    apiUrl: props.apiUrl,
    liveUrl: props.liveUrl ?? null,
    auth: props.auth
      ? { domainUrl: props.auth.domainUrl, clientId: props.auth.clientId, redirectUri: `${siteUrl}/` }
      : null,
  };
}

/**
 * The agent inbox and the chat widget, hosted: a private S3 bucket that only CloudFront reads (origin
 * access control), HTTPS only, security headers on every answer, and `config.json` written at deploy
 * with the API's URL and the Cognito client, so one build serves every deployment.
 */
export class WebHosting extends Construct {
  /** The inbox's URL, the custom domain's or https://<distribution domain>; the origin the API allows (CORS). */
  readonly url: string;
  /** The custom domain's host, when the inbox has one. */
  readonly customDomain?: string;
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);
    let sourceDir = props.sourceDir;
    if (sourceDir === undefined) {
      buildWeb();
      sourceDir = WEB_DIST;
    }
    // Both go with the stack, emptied first (CloudFormation cannot delete a bucket that holds objects): they
    // hold only the built inbox, deployed again from the repository, and access logs kept 90 days at most.
    const privateBucket = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    };
    // CloudFront's standard logs need ACLs on their bucket; the site bucket's access logs go there too.
    const logs = new Bucket(this, "AccessLogs", {
      ...privateBucket,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.bucket = new Bucket(this, "Site", {
      ...privateBucket,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: "s3/",
    });

    // The header policy cannot name the API (the API's CORS names this distribution: a cycle), so
    // connections are narrowed by the CSP meta tag index.html gets at deploy. Both policies apply.
    const headers = new ResponseHeadersPolicy(this, "SecurityHeaders", {
      comment: "Inbox security headers",
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "connect-src 'self' https: wss:",
            ["img-src 'self' data:", ...(props.fileOrigins ?? [])].join(" "),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "upgrade-insecure-requests",
          ].join("; "),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          preload: false,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
    });
    const custom = props.customDomain;
    this.customDomain = custom ? new URL(custom.url).hostname : undefined;
    this.distribution = new Distribution(this, "Distribution", {
      comment: "Conversation routing: agent inbox and chat widget",
      // On a custom domain CloudFront can require TLS 1.2; its default certificate cannot.
      ...(custom
        ? {
            domainNames: [new URL(custom.url).hostname],
            certificate: custom.certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultRootObject: "index.html",
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: "cloudfront/",
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        responseHeadersPolicy: headers,
      },
    });
    this.url = custom?.url.replace(/\/$/, "") ?? `https://${this.distribution.distributionDomainName}`;

    const authOrigin = props.auth ? ` ${props.auth.domainUrl}` : "";
    const fileOrigins = (props.fileOrigins ?? []).map((o) => ` ${o}`).join("");
    const liveOrigin = props.liveUrl ? ` ${props.liveUrl}` : "";
    const csp = `connect-src 'self' ${props.apiUrl}${liveOrigin}${authOrigin}${fileOrigins}`;
    const indexHtml = readFileSync(path.join(sourceDir, "index.html"), "utf8").replace(
      "<head>",
      `<head>\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`,
    );
    new BucketDeployment(this, "Deploy", {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      sources: [
        Source.asset(sourceDir, { exclude: ["index.html", "demo.html", "demo.js", "config.json"] }),
        Source.data("index.html", indexHtml),
        Source.jsonData("config.json", webConfig(props, this.url)),
      ],
      prune: true,
    });
  }
}
