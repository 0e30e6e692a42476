// A certified OpenID provider (panva's oidc-provider from the npm registry) on 127.0.0.1 for the tests.
//
// Started by tests/access/sso/providers.py with Debian's /usr/bin/node. One client (the
// Egenkontroll under test), test users with group claims, a fresh RS256 key per run. PKCE is
// required for every authorization request, so a relying party that does not send it is refused.
// Configuration comes as JSON in argv[2]; the script prints "READY <issuer>" when it listens.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

const cfg = JSON.parse(process.argv[2]);
// The package lives in the git-ignored npm cache of the repository (cfg.module: its entry file URL).
const { default: Provider } = await import(cfg.module);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'egk-test-rs256', alg: 'RS256', use: 'sig' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: cfg.client_id,
      client_secret: cfg.client_secret,
      redirect_uris: cfg.redirect_uris,
      post_logout_redirect_uris: cfg.post_logout_redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      groups: ['groups'],
    },
    async findAccount(ctx, id) {
      const user = cfg.users[id];
      if (!user) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...user }; } };
    },
    // Consent is the municipality's business, not the test's: grant the client what it asked for.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Logout</title></head><body>
            <h1>Sign out from the test provider?</h1>${form}
            <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            </body></html>`;
        },
      },
    },
    ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Session: 3600, Grant: 3600, Interaction: 600 },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
