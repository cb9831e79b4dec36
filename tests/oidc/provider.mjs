// A real OpenID Connect provider for the single sign-on tests: oidc-provider (OpenID Certified),
// installed from npm by .ci/run, with three people and their groups. Not a mock: discovery,
// signed ID tokens, PKCE, the user info endpoint and its login and consent pages are the
// library's own.
//
//   PORT=9000 REDIRECT_URI=http://127.0.0.1:8080/auth/oidc/callback node provider.mjs
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const redirect = process.env.REDIRECT_URI;
const people = {
  ana: { name: 'Ana Lima', groups: ['soc-leads', 'staff'] },
  bo: { name: 'Bo Berg', groups: ['soc', 'hr'] },
  cy: { name: 'Cy Dune', groups: ['marketing'] },
};

// `localhost` while Debrief is on 127.0.0.1: two sites, as in real life, so that the browser
// applies its cross-site cookie rules on the way back.
const provider = new Provider(`http://localhost:${port}`, {
  clients: [{
    client_id: 'debrief',
    client_secret: 'a-secret-for-these-tests-only',
    redirect_uris: [redirect],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const p = people[id];
    if (!p) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: p.name, email: `${id}@example.org`, groups: p.groups };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['a-cookie-key-for-these-tests-only'] },
});
provider.proxy = false;
provider.listen(port, () => console.log(`ready on ${port}`));
