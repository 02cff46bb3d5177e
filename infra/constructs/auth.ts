import { Aws, Duration, Fn, RemovalPolicy, Stack } from "aws-cdk-lib";
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  type CfnUserPool,
  type CfnUserPoolClient,
  CfnUserPoolRiskConfigurationAttachment,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from "aws-cdk-lib/aws-cognito";
import { Construct } from "constructs";

/** The group whose members may configure users, teams, inboxes, channels and contacts. */
export const ADMINS_GROUP = "admins";

/** Where `npm run login` listens for the sign-in redirect (registered as a callback URL). */
export const CLI_CALLBACK_URL = "http://localhost:8976/callback";

export interface AuthProps {
  /**
   * Where the sign-in page may send the browser back with a code: the web inbox's URL. The CLI's
   * localhost callback (`npm run login`) is always added.
   */
  readonly callbackUrls: string[];
  /**
   * Prefix of the sign-in page `<prefix>.auth.<region>.amazoncognito.com`, unique in the region.
   * @default stack name + account
   */
  readonly domainPrefix?: string;
}

/**
 * Agents and admins sign in here: a Cognito user pool (no self sign-up, admins invite), its managed
 * login page, and one public app client for the authorization code flow with PKCE, nothing else.
 */
export class Auth extends Construct {
  /**
   * The pool was first created inside the HTTP API construct under this id. It stays pinned: moving
   * the construct must never replace the pool, which would orphan every agent's account.
   */
  static readonly USER_POOL_LOGICAL_ID = "HttpUsersDF7C34A0";
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  /** Base URL of the managed login page and OAuth endpoints (`/oauth2/authorize`, `/oauth2/token`). */
  readonly domainUrl: string;
  readonly clientId: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    this.userPool = new UserPool(this, "Users", {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      // Optional rather than required: everyone can enrol an authenticator app after signing in, and the
      // threat protection below asks risky sign-ins for a second factor (adaptive authentication).
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.userPool.node.defaultChild as CfnUserPool).overrideLogicalId(Auth.USER_POOL_LOGICAL_ID);
    // Adaptive authentication: a risky sign-in must give the authenticator code; a high-risk one
    // without an enrolled authenticator is refused. (No risk emails: they would need an SES sender.)
    const action = (eventAction: string) => ({ eventAction, notify: false });
    new CfnUserPoolRiskConfigurationAttachment(this, "RiskResponse", {
      userPoolId: this.userPool.userPoolId,
      clientId: "ALL",
      accountTakeoverRiskConfiguration: {
        actions: {
          lowAction: action("NO_ACTION"),
          mediumAction: action("MFA_IF_CONFIGURED"),
          highAction: action("MFA_REQUIRED"),
        },
      },
    });
    this.userPool.addGroup("Admins", {
      groupName: ADMINS_GROUP,
      description: "May configure users, teams, inboxes, channels and contacts",
    });

    const callbackUrls = [...new Set([...props.callbackUrls, CLI_CALLBACK_URL])];
    this.client = this.userPool.addClient("InboxApp", {
      generateSecret: false, // a browser app and a CLI: public clients, which is what PKCE is for
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls,
        logoutUrls: callbackUrls,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
    });
    // Sign-in is managed login only (authorization code + PKCE, the inbox and `npm run login`); `npm run admin`
    // uses admin APIs with the deploy credentials, not this client. Left unset, Cognito would also allow SRP
    // and custom auth, so the list is explicit: refreshing tokens, nothing else.
    (this.client.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = ["ALLOW_REFRESH_TOKEN_AUTH"];
    this.clientId = this.client.userPoolClientId;

    const prefix = props.domainPrefix ?? Fn.join("-", [Stack.of(this).stackName.toLowerCase(), Aws.ACCOUNT_ID]);
    this.domain = this.userPool.addDomain("Login", {
      cognitoDomain: { domainPrefix: prefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login needs a style for the client; Cognito's own is enough.
    new CfnManagedLoginBranding(this, "LoginStyle", {
      userPoolId: this.userPool.userPoolId,
      clientId: this.clientId,
      useCognitoProvidedValues: true,
    }).node.addDependency(this.domain);
    this.domainUrl = this.domain.baseUrl();
  }
}
