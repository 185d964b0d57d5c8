// A real OpenID provider for the tests: the certified `oidc-provider` from npm (pinned in
// package-lock.json), on a free loopback port, configured from one JSON argument:
//   {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...],
//    "accounts": {"<login>": {"email": ..., "email_verified": true, "name": ...}, ...}}
// It prints one line, {"issuer": "http://127.0.0.1:<port>"}, once it answers. Sign-in uses the
// package's development interactions: type an account's login and any password, then Continue.
// Test use only: in-memory storage, the package's development signing key and cookie key.
import http from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(process.argv[2]);
const server = http.createServer();

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: settings.client_id,
      client_secret: settings.client_secret,
      redirect_uris: settings.redirect_uris,
      post_logout_redirect_uris: settings.post_logout_redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // PKCE is required of every client (the package's default, said here so no upgrade drops it).
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put the scopes' claims in the ID token itself, as many workforce providers do; the app also
    // copes without them (accounts.sso.claims_of asks the userinfo endpoint).
    conformIdTokenClaims: settings.conform_id_token_claims ?? false,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    cookies: { keys: ['test-fixture-only'] },
    async findAccount(ctx, id) {
      const claims = settings.accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  // Development-only warnings (dev key, dev interactions) are expected here.
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
