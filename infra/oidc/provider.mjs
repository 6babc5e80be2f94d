// A local OpenID Connect provider standing in for FranceConnect v2, for development and
// for the identity service's tests. It is a real provider (the `oidc-provider` package)
// configured the way FranceConnect v2 behaves towards a service provider: every endpoint
// under /api/v2, acr "eidas1", the FranceConnect scopes and claims, client_secret_post,
// ES256 ID tokens and a signed (application/jwt) userinfo answer.
//
// What differs from FranceConnect on purpose, so tests can run without a browser:
// - the identity provider choice and login are one form listing fake test identities
//   (GET /api/v2/interaction/:uid, POST /api/v2/interaction/:uid/login with login=<name>);
//   consent is granted with the login;
// - POST /admin/rotate makes the provider sign with a new key from then on (the JWKS
//   publishes it next to the old ones);
// - --tamper-userinfo signs the userinfo answer with a key that is not published.
//
// Never use it for anything but local development and tests: it knows no real person and
// holds everything in memory. Usage and options: see README.md beside this file.

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

/** Every FranceConnect v2 endpoint lives under this path. */
const PREFIX = '/api/v2';

/** The FranceConnect scopes: one per claim, plus openid. */
const SCOPES = [
  'openid',
  'given_name',
  'family_name',
  'birthdate',
  'birthplace',
  'birthcountry',
  'gender',
  'email',
  'preferred_username',
];

/** The only authentication level this stand-in offers (FranceConnect's "faible"). */
const ACR = 'eidas1';

/** Upper bound of a login form body: a few fields, never more. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * Fake people to log in as, keyed by the `login` form field. Names, dates and places are
 * realistic but invented (Angela DUBOIS mirrors FranceConnect's own sandbox user).
 * birthplace is an INSEE commune code, empty when born abroad; birthcountry an INSEE
 * country code (99100 is France); preferred_username is the usage name, often empty.
 */
const IDENTITIES = {
  angela: {
    given_name: 'Angela Claire Louise',
    family_name: 'DUBOIS',
    birthdate: '1962-08-24',
    birthplace: '75107',
    birthcountry: '99100',
    gender: 'female',
    email: 'wossewodda-3728@yopmail.com',
    preferred_username: '',
  },
  lucien: {
    given_name: 'Lucien Marius',
    family_name: 'ROUSSEL',
    birthdate: '1985-03-14',
    birthplace: '13001',
    birthcountry: '99100',
    gender: 'male',
    email: 'lucien-roussel-5150@yopmail.com',
    preferred_username: '',
  },
  carmen: {
    given_name: 'Carmen',
    family_name: 'GARCIA',
    birthdate: '1990-11-02',
    birthplace: '',
    birthcountry: '99134',
    gender: 'female',
    email: 'carmen-moreau-2209@yopmail.com',
    preferred_username: 'MOREAU',
  },
  // Lacks an email address, so a relying party's handling of missing claims can be tested.
  incomplet: {
    given_name: 'Yves',
    family_name: 'LEGRAND',
    birthdate: '1948-05-30',
    birthplace: '69123',
    birthcountry: '99100',
    gender: 'male',
    preferred_username: '',
  },
};

/** A stable FranceConnect-shaped subject (64 hex digits and "v1") for a test login. */
function subjectFor(login) {
  return `${crypto.hash('sha256', `guichet-local:${login}`, 'hex')}v1`;
}

const ACCOUNTS = new Map(
  Object.entries(IDENTITIES).map(([login, claims]) => [subjectFor(login), { login, claims }]),
);

// --- keys -----------------------------------------------------------------------------

/** The key id oidc-provider itself would compute: a hash of the public components. */
function keyId({ kty, crv, x, y }) {
  return crypto.hash('sha256', JSON.stringify({ crv, kty, x, y }), 'base64url');
}

/** A fresh P-256 signing key as a private JWK, with its kid. */
function newSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: keyId(jwk), alg: 'ES256', use: 'sig' };
}

/** Signs `input` (header.payload) with an ES256 private JWK, as JWS wants it (r || s). */
function es256Signature(input, jwk) {
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

/**
 * Re-signs a compact JWS with a key the provider never published. `mode` decides the kid
 * the forged header carries: the rogue key's own ("unknown-key"), or the kid of the key
 * the provider really signs with ("same-kid").
 */
function forge(jws, mode, rogueKey, realKid) {
  const [header64, payload64] = jws.split('.');
  const header = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8'));
  header.kid = mode === 'same-kid' ? realKid : rogueKey.kid;
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload64}`;
  return `${input}.${es256Signature(input, rogueKey)}`;
}

// --- pages (French: people read them) ---------------------------------------------------

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — FranceConnect (bouchon local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}
button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font-size:1rem;text-align:left;cursor:pointer}
.avertissement{background:#fff4e5;border-left:4px solid #b34000;padding:.5rem 1rem}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="avertissement">Fournisseur d'identité de test : aucune personne réelle, à n'utiliser
qu'en développement.</p>
${body}
</body>
</html>`;
}

function loginPage(uid, clientId) {
  const buttons = Object.entries(IDENTITIES)
    .map(([login, c]) => `<button type="submit" name="login" value="${escapeHtml(login)}">${escapeHtml(c.given_name)} ${escapeHtml(c.family_name)}${c.birthplace ? '' : ' (née ou né à l\'étranger)'}</button>`)
    .join('\n');
  return page('Connexion', `<p>Le service <strong>${escapeHtml(clientId)}</strong> demande à vous identifier.
Choisissez une identité de test :</p>
<form method="post" action="${PREFIX}/interaction/${escapeHtml(uid)}/login">
${buttons}
</form>`);
}

function consentPage(uid, clientId) {
  return page('Autorisation', `<p>Le service <strong>${escapeHtml(clientId)}</strong> demande l'accès à vos données d'identité.</p>
<form method="post" action="${PREFIX}/interaction/${escapeHtml(uid)}/consent">
<button type="submit">Continuer sur ${escapeHtml(clientId)}</button>
</form>`);
}

// --- the provider -----------------------------------------------------------------------

/**
 * Builds an oidc-provider instance. A key rotation builds a new one with the new key first;
 * sessions, grants and codes survive because oidc-provider's in-memory adapter is shared by
 * every instance in the process, and the cookie keys are passed in.
 */
function buildProvider({ issuer, client, signingKeys, cookieKeys, tamper }) {
  const provider = new Provider(issuer, {
    clients: [client],
    jwks: { keys: signingKeys },
    cookies: { keys: cookieKeys },
    scopes: SCOPES,
    claims: Object.fromEntries(SCOPES.map((s) => [s, s === 'openid' ? ['sub'] : [s]])),
    acrValues: [ACR],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_post'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
    },
    // FranceConnect does not use PKCE; the relying party under test does not either.
    pkce: { required: () => false },
    // Lifetimes close to FranceConnect's: codes and access tokens are used at once.
    ttl: {
      AccessToken: 60,
      AuthorizationCode: 30,
      IdToken: 60,
      Interaction: 600,
      Session: 1800,
      Grant: 1800,
    },
    routes: {
      authorization: '/authorize',
      userinfo: '/userinfo',
      end_session: '/session/end',
      jwks: '/jwks',
      token: '/token',
    },
    discovery: { ui_locales_supported: ['fr'] },
    features: {
      devInteractions: { enabled: false },
      // Not offered by FranceConnect v2.
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      claimsParameter: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Déconnexion', `<p>Voulez-vous vous déconnecter de FranceConnect ?</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Oui, me déconnecter</button>
<button type="submit" form="op.logoutForm">Non, rester connecté</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Déconnexion', '<p>Vous êtes déconnecté.</p>');
        },
      },
    },
    interactions: {
      url: (ctx, interaction) => `${PREFIX}/interaction/${interaction.uid}`,
    },
    findAccount: async (ctx, sub) => {
      const account = ACCOUNTS.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Erreur', `<p>La demande d'identification n'a pas abouti.</p>
<pre>${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</pre>`);
    },
  });

  provider.on('server_error', (ctx, err) => {
    console.error(`server error on ${ctx.method} ${ctx.path}:`, err);
  });

  if (tamper) {
    const rogueKey = newSigningKey();
    const realKid = signingKeys[0].kid;
    // Runs after the userinfo action produced its signed answer, and replaces the signature.
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route === 'userinfo' && ctx.status === 200 && ctx.type === 'application/jwt') {
        ctx.body = forge(ctx.body, tamper, rogueKey, realKid);
      }
    });
  }

  return provider;
}

// --- interactions (login and consent without a browser) --------------------------------

async function readForm(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, type, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** A grant covering every scope and claim the authorization request asked for. */
async function grantRequested(provider, details, accountId) {
  const { params } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  if (params.claims) {
    const { id_token: idToken = {}, userinfo = {} } = JSON.parse(params.claims);
    grant.addOIDCClaims([...Object.keys(idToken), ...Object.keys(userinfo)]);
  }
  return grant.save();
}

/** Handles GET /api/v2/interaction/:uid and POST …/login and …/consent. */
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, 'text/html; charset=utf-8', page('Erreur', '<p>Cette demande a expiré.</p>'));
    return;
  }
  const { prompt, params, session } = details;

  if (req.method === 'GET' && !action) {
    const html = prompt.name === 'login' ? loginPage(uid, params.client_id) : consentPage(uid, params.client_id);
    send(res, 200, 'text/html; charset=utf-8', html);
    return;
  }

  if (req.method === 'POST' && action === 'login' && prompt.name === 'login') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    if (!Object.hasOwn(IDENTITIES, login)) {
      send(res, 400, 'text/html; charset=utf-8', page('Connexion', `<p>Identité de test inconnue : ${escapeHtml(login)}.</p>`));
      return;
    }
    const accountId = subjectFor(login);
    // Test lever: an explicit acr lets a test check that the relying party refuses a level
    // it did not ask for. FranceConnect itself always answers the level requested.
    const acr = form.get('acr') || ACR;
    const grantId = await grantRequested(provider, details, accountId);
    await provider.interactionFinished(req, res, {
      login: { accountId, acr, amr: ['pwd'] },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (req.method === 'POST' && action === 'consent' && prompt.name === 'consent') {
    const grantId = await grantRequested(provider, details, session.accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  send(res, 400, 'text/html; charset=utf-8', page('Erreur', '<p>Étape inattendue pour cette demande.</p>'));
}

// --- the server -------------------------------------------------------------------------

/**
 * Starts the provider on 127.0.0.1:`port` (0 picks a free port) and resolves once it
 * listens. Returns its issuer and base URL, `rotate()` and `close()`.
 */
export async function start({
  port = 4000,
  clientId = 'guichet-local',
  clientSecret = 'guichet-local-secret',
  redirectUri = 'http://127.0.0.1:8080/api/v1/auth/franceconnect/callback',
  postLogoutRedirectUri = 'http://127.0.0.1:8080/api/v1/auth/franceconnect/logged-out',
  tamperUserinfo = undefined,
} = {}) {
  if (tamperUserinfo !== undefined && !['unknown-key', 'same-kid'].includes(tamperUserinfo)) {
    throw new Error(`--tamper-userinfo must be "unknown-key" or "same-kid", not "${tamperUserinfo}"`);
  }
  const client = {
    client_id: clientId,
    client_secret: clientSecret,
    client_name: 'Guichet (local)',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutRedirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256',
  };
  const state = {
    client,
    signingKeys: [newSigningKey()],
    cookieKeys: [crypto.randomBytes(32).toString('base64url')],
    tamper: tamperUserinfo,
    provider: undefined,
    handle: undefined,
  };

  const rebuild = () => {
    state.provider = buildProvider(state);
    state.handle = state.provider.callback();
  };
  const rotate = () => {
    state.signingKeys = [newSigningKey(), ...state.signingKeys];
    rebuild();
    console.error(`signing key rotated: now ${state.signingKeys[0].kid}`);
    return state.signingKeys[0].kid;
  };

  const server = http.createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url, 'http://127.0.0.1');

      if (pathname === '/admin/rotate' && req.method === 'POST') {
        send(res, 200, 'application/json', JSON.stringify({ kid: rotate() }));
        return;
      }

      const step = pathname.match(/^\/api\/v2\/interaction\/([\w-]+)(?:\/(login|consent))?$/);
      if (step) {
        await interaction(state.provider, req, res, step[1], step[2]);
        return;
      }

      if (pathname === PREFIX || pathname.startsWith(`${PREFIX}/`)) {
        // Mounted the way express does it: oidc-provider reads the mount path from the
        // difference between originalUrl and url.
        req.originalUrl = req.url;
        const rest = req.url.slice(PREFIX.length);
        req.url = rest.startsWith('/') ? rest : `/${rest}`;
        state.handle(req, res);
        return;
      }

      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    } catch (err) {
      console.error(`error on ${req.method} ${req.url}:`, err);
      if (!res.headersSent) {
        send(res, 500, 'text/html; charset=utf-8', page('Erreur', '<p>Erreur interne du fournisseur de test.</p>'));
      } else {
        res.end();
      }
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  state.issuer = `${url}${PREFIX}`;
  rebuild();

  return {
    url,
    issuer: state.issuer,
    rotate,
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }),
  };
}

function options() {
  // --tamper-userinfo may stand alone; it then means "unknown-key".
  const args = process.argv.slice(2).map((a) => (a === '--tamper-userinfo' ? '--tamper-userinfo=unknown-key' : a));
  const env = process.env;
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: env.OIDC_PORT ?? '4000' },
      'client-id': { type: 'string', default: env.OIDC_CLIENT_ID },
      'client-secret': { type: 'string', default: env.OIDC_CLIENT_SECRET },
      'redirect-uri': { type: 'string', default: env.OIDC_REDIRECT_URI },
      'post-logout-redirect-uri': { type: 'string', default: env.OIDC_POST_LOGOUT_REDIRECT_URI },
      'tamper-userinfo': { type: 'string', default: env.OIDC_TAMPER_USERINFO || undefined },
      'exit-with-stdin': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a TCP port number, not "${values.port}"`);
  }
  return {
    port,
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    redirectUri: values['redirect-uri'],
    postLogoutRedirectUri: values['post-logout-redirect-uri'],
    tamperUserinfo: values['tamper-userinfo'] === '1' ? 'unknown-key' : values['tamper-userinfo'],
    exitWithStdin: values['exit-with-stdin'],
  };
}

async function main() {
  const { exitWithStdin, ...opts } = options();
  // Leave unset options to start()'s defaults.
  Object.keys(opts).forEach((k) => opts[k] === undefined && delete opts[k]);
  const provider = await start(opts);
  // The one line on stdout: scripts and tests wait for it and read the port from it.
  process.stdout.write(`listening on ${provider.url}\n`);
  console.error(`issuer ${provider.issuer}${opts.tamperUserinfo ? ` (userinfo tampered: ${opts.tamperUserinfo})` : ''}`);
  const stop = () => provider.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (exitWithStdin) {
    // A test harness holds our stdin: when it dies without killing us, stdin closes.
    process.stdin.on('end', stop).on('close', stop).resume();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
}
