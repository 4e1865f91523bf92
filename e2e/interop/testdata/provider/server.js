// An OpenID provider for hello's interoperability suite: panva's
// oidc-provider (OpenID Certified) in one of a few named configurations.
//
//   node server.js strict|strict-par|auth0like|minimal
//
// It listens on 127.0.0.1 on a free port and prints exactly one line on
// stdout, its issuer URL, once it accepts connections; logs go to stderr.
// It stops on SIGTERM or SIGINT, or when stdin closes (so a test that dies
// does not leave it behind).
//
// The configurations:
//   strict      RFC 8707 resource indicators (the access token is a JWT for
//               the API only when "resource" names it, at every endpoint),
//               OIDC Core §11 (offline_access is ignored without
//               prompt=consent), PAR optional, RFC 9207 iss, revocation,
//               RP-initiated logout, device flow, client credentials.
//   strict-par  strict, with require_pushed_authorization_requests.
//   auth0like   Auth0's shape: Auth0's endpoint paths and its
//               mfa_challenge_endpoint in discovery, "audience" instead of
//               "resource", refresh tokens without prompt=consent, no
//               end_session_endpoint but /v2/logout?client_id&returnTo, no
//               iss in the authorization response.
//   minimal     a provider that lacks what hello can do without: no
//               revocation, no end_session, no device flow, no PAR (Dex is
//               one such).
//
// Users, signed in as "alice" or "bob" (the development login form of
// oidc-provider's devInteractions accepts any password): alice, e-mail
// alice@example.com, with the permission read:admin-messages; bob without.
// Environment: HELLO_INTEROP_TOKEN_TTL (seconds, default 3600) sets the
// access token lifetime; HELLO_INTEROP_AUDIENCE (default
// https://hello-world.example.com) names the API; HELLO_INTEROP_CONFORM=1
// leaves the profile claims out of the ID token (userinfo only).
//
// GET /interop/grants answers how many grants the token endpoint performed,
// by grant type ({"refresh_token": 2, …}), counted by oidc-provider's own
// grant.success event, so the suite can tell a refresh that was spent.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';

const name = process.argv[2];
const configs = ['strict', 'strict-par', 'auth0like', 'minimal'];
if (!configs.includes(name)) {
  console.error(`usage: node server.js ${configs.join('|')}`);
  process.exit(2);
}
const auth0like = name === 'auth0like';
const minimal = name === 'minimal';
const audience = process.env.HELLO_INTEROP_AUDIENCE || 'https://hello-world.example.com';
const tokenTTL = Number(process.env.HELLO_INTEROP_TOKEN_TTL || 3600);

const accounts = {
  'alice@example.com': {
    sub: 'alice', name: 'Alice Example', email: 'alice@example.com', permissions: ['read:admin-messages'],
  },
  'bob@example.com': {
    sub: 'bob', name: 'Bob Example', email: 'bob@example.com', permissions: [],
  },
};
const bySub = Object.fromEntries(Object.values(accounts).map((a) => [a.sub, a]));

// The development login form makes what was typed the account ID, so the
// suite signs in as "alice" or "bob": the subject, distinct from the e-mail.
function account(id) {
  return bySub[id];
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `interop-${name}`, use: 'sig', alg: 'RS256' };

// hello's loopback redirect URIs. RFC 8252 §7.3 lets a native client use
// any port on them, which oidc-provider honours, so a test's free port works.
const redirects = ['http://localhost:4040/callback', 'http://127.0.0.1:4040/callback'];
const postLogout = ['http://localhost:4040/', 'http://127.0.0.1:4040/'];

const grantTypes = ['authorization_code', 'refresh_token'];
if (!minimal) grantTypes.push('urn:ietf:params:oauth:grant-type:device_code');

const clients = [
  {
    client_id: 'hello-cli',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: grantTypes,
    response_types: ['code'],
    redirect_uris: redirects,
    post_logout_redirect_uris: postLogout,
  },
  {
    // A confidential web client, as the seed's .config has (CLIENT_SECRET),
    // registered with the default client authentication,
    // client_secret_basic, which oidc-provider then requires at every
    // endpoint that authenticates the client (token, PAR, revocation).
    client_id: 'hello-web',
    application_type: 'native', // so the loopback redirect takes any port (RFC 8252 §7.3)
    client_secret: 'hello-web-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirects,
    post_logout_redirect_uris: postLogout,
  },
  {
    client_id: 'hello-ci',
    client_secret: 'hello-ci-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
];

const resourceServer = {
  scope: 'read:admin-messages',
  audience,
  accessTokenFormat: 'jwt',
  accessTokenTTL: tokenTTL,
  jwt: { sign: { alg: 'RS256' } },
};

const configuration = {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: ['interop-cookie-key-not-secret-1'] },
  // Auth0 and many others put profile claims in the ID token even when an
  // access token for userinfo is issued; profile falls back to them.
  // HELLO_INTEROP_CONFORM=1 keeps them in userinfo alone, as OIDC Core
  // §5.4 has it for the code flow.
  conformIdTokenClaims: process.env.HELLO_INTEROP_CONFORM === '1',
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'read:admin-messages'],
  async findAccount(ctx, sub) {
    const a = account(sub);
    if (!a) return undefined;
    return {
      accountId: a.sub,
      async claims() {
        return { sub: a.sub, name: a.name, email: a.email, email_verified: true };
      },
    };
  },
  // The Hello World API reads permissions from the access token, as Auth0's
  // RBAC puts them there.
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
    if (token.kind === 'ClientCredentials') return { permissions: ['read:admin-messages'] };
    const a = account(token.accountId);
    return a ? { permissions: a.permissions } : undefined;
  },
  ttl: {
    AccessToken: tokenTTL,
    ClientCredentials: tokenTTL,
    IdToken: tokenTTL,
    DeviceCode: 600,
    RefreshToken: 14 * 24 * 3600,
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: !minimal },
    revocation: { enabled: !minimal },
    rpInitiatedLogout: { enabled: !auth0like && !minimal },
    pushedAuthorizationRequests: {
      enabled: !minimal,
      requirePushedAuthorizationRequests: name === 'strict-par',
    },
    resourceIndicators: {
      enabled: true,
      // Strict: only an explicit "resource" gets a token for the API.
      // Auth0-like: Auth0's "audience" parameter names it instead.
      async defaultResource(ctx, client, oneOf) {
        if (oneOf) return oneOf;
        // The token endpoints do not parse extra parameters into params,
        // so the client credentials grant's audience is read from the body.
        if (auth0like) return ctx.oidc.params?.audience || ctx.oidc.body?.audience || undefined;
        return undefined;
      },
      async useGrantedResource() {
        return auth0like;
      },
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator === audience) return resourceServer;
        throw new errors.InvalidTarget();
      },
    },
  },
  // Auth0 issues a refresh token for offline_access without asking for
  // consent; oidc-provider drops offline_access without prompt=consent, so
  // the Auth0-like provider issues one to every client allowed the grant.
  ...(auth0like ? {
    extraParams: ['audience'],
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      revocation: '/oauth/revoke',
      device_authorization: '/oauth/device/code',
      userinfo: '/userinfo',
      jwks: '/.well-known/jwks.json',
      pushed_authorization_request: '/oauth/par',
    },
  } : {}),
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}${auth0like ? '/' : ''}`;
  if (auth0like) {
    configuration.discovery = { mfa_challenge_endpoint: `${issuer}mfa/challenge` };
  }
  const provider = new Provider(issuer, configuration);
  // Plain http on loopback: the cookies cannot be Secure.
  provider.proxy = false;
  if (auth0like) {
    provider.use(auth0Quirks(provider, issuer));
  }
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  // Counted before the token response is written: a client that has its
  // answer finds the grant counted.
  const grants = {};
  provider.on('grant.success', (ctx) => {
    const type = String(ctx.oidc.params.grant_type);
    grants[type] = (grants[type] || 0) + 1;
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/interop/grants' && ctx.method === 'GET') {
      ctx.body = grants;
      return;
    }
    await next();
  });
  const handle = provider.callback();
  server.on('request', handle);
  process.stdout.write(`${issuer}\n`);
});

// auth0Quirks adds Auth0's /v2/logout and, like Auth0, leaves iss out of
// the authorization response (and out of discovery).
function auth0Quirks(provider, issuer) {
  return async (ctx, next) => {
    if (ctx.path === '/v2/logout') {
      const returnTo = ctx.query.returnTo;
      const client = ctx.query.client_id && await provider.Client.find(String(ctx.query.client_id));
      if (returnTo && (!client || !postLogout.includes(returnTo))) {
        ctx.status = 400;
        ctx.body = 'returnTo is not an allowed logout URL';
        return;
      }
      // Auth0 clears its session cookie here; so does this.
      ctx.cookies.set('_session', null);
      ctx.cookies.set('_session.sig', null);
      if (returnTo) {
        ctx.redirect(returnTo);
      } else if (client) {
        // As Auth0 does: client_id without returnTo goes to the first
        // Allowed Logout URL.
        ctx.redirect(postLogout[0]);
      } else {
        ctx.body = 'OK';
      }
      return;
    }
    await next();
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
      delete ctx.body.authorization_response_iss_parameter_supported;
    }
    const loc = ctx.response.get('location');
    if (loc && ctx.status >= 300 && ctx.status < 400) {
      const u = new URL(loc, issuer);
      if (u.origin !== new URL(issuer).origin && u.searchParams.get('iss') === issuer) {
        u.searchParams.delete('iss');
        ctx.redirect(u.toString());
      }
    }
  };
}

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
