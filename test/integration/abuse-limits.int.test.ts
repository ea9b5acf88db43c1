import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APP_ID, failure, MASTER_KEY, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let customer: Session;

const LOCKOUT_MINUTES = 0.05; // 3 s, so the test sees an account unlock

beforeAll(async () => {
  server = await startTestServer({ LOGIN_LOCKOUT_MINUTES: String(LOCKOUT_MINUTES) });
  customer = await server.signUp('abuse');
});
afterAll(() => server?.stop());

const OVER_LIMIT = 1024 * 1024 + 1000; // just over 1 MB of JSON
const UNDER_LIMIT = 1000 * 1000; // just under

function graphQLURL(): string {
  return `http://127.0.0.1:${server.port}/graphql`;
}

/** A raw POST: a body sent as one string (with Content-Length) or as a stream (chunked, no length). */
async function post(url: string, body: string, options: { chunked?: boolean; contentType?: string } = {}) {
  const headers = { 'X-Parse-Application-Id': APP_ID, 'Content-Type': options.contentType ?? 'application/json' };
  const payload = options.chunked
    ? new ReadableStream({
        start(controller) {
          const bytes = new TextEncoder().encode(body);
          for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
          controller.close();
        },
      })
    : body;
  const response = await fetch(url, { method: 'POST', headers, body: payload, duplex: 'half' } as RequestInit);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text };
}

/** A JSON body of about `size` bytes: one long string field. */
function bodyOf(size: number, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...fields, padding: 'x'.repeat(size) });
}

describe('request bodies over 1 MB answer 413 with a Parse error', () => {
  const batch = (size: number) =>
    JSON.stringify({ requests: [{ method: 'POST', path: '/parse/classes/Product', body: { name: 'x'.repeat(size), price: 1 } }] });

  test.each([
    ['a class write', '/classes/Product', bodyOf(OVER_LIMIT), {}],
    ['a batch', '/batch', batch(OVER_LIMIT), {}],
    ['a function call', '/functions/catalog', bodyOf(OVER_LIMIT), {}],
    ['a function call sent as text/plain (the JS SDK)', '/functions/catalog', bodyOf(OVER_LIMIT), { contentType: 'text/plain' }],
    ['a chunked class write (no Content-Length)', '/classes/Product', bodyOf(OVER_LIMIT), { chunked: true }],
    ['a file upload', '/files/big.txt', 'x'.repeat(OVER_LIMIT), { contentType: 'text/plain' }],
  ])('%s', async (_name, path, body, options) => {
    const answer = await post(`${server.apiURL}${path}`, body, options);
    expect(answer.status).toBe(413);
    expect(answer.type).toContain('application/json');
    expect(JSON.parse(answer.text)).toEqual({ code: 116, error: 'The request body is larger than 1 MB; send less in one request.' });
  });

  test.each([
    ['with Content-Length', {}],
    ['chunked', { chunked: true }],
  ])('a GraphQL request %s (not an HTML page with a stack trace)', async (_name, options) => {
    const body = JSON.stringify({ query: 'query { health }', variables: { padding: 'x'.repeat(OVER_LIMIT) } });
    const answer = await post(graphQLURL(), body, options);
    expect(answer.status).toBe(413);
    expect(answer.type).toContain('application/json');
    expect(answer.text).not.toMatch(/<html|<pre>|at \w+ \(/i);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 116 });
  });

  test('a body just under 1 MB still works on REST and on GraphQL', async () => {
    const name = 'n'.repeat(UNDER_LIMIT);
    const rest = await post(`${server.apiURL}/classes/Product`, JSON.stringify({ _method: 'GET', where: { name }, limit: 1 }));
    expect(rest.status).toBe(200);
    expect(JSON.parse(rest.text)).toEqual({ results: [] });

    const query = 'query Find($name: String) { products(where: { name: { equalTo: $name } }) { count } }';
    const graphQL = await post(graphQLURL(), JSON.stringify({ query, variables: { name } }));
    expect(graphQL.status).toBe(200);
    expect(JSON.parse(graphQL.text)).toEqual({ data: { products: { count: 0 } } });
  });

  test('malformed GraphQL JSON is a 400 Parse error, not an HTML page', async () => {
    const answer = await post(graphQLURL(), '{"query": ');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ code: 107, error: 'The request body is not valid JSON.' });
  });
});

describe('query limits', () => {
  test('a find asking for 5,000 rows is served 1,000 (maxLimit), for the master key too', async () => {
    const expiresAt = { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' };
    const rows = Array.from({ length: 1010 }, (_, i) => ({ key: `limit-test-${i}`, token: 't', expiresAt }));
    for (let i = 0; i < rows.length; i += 50) {
      const requests = rows.slice(i, i + 50).map((body) => ({ method: 'POST', path: '/parse/classes/Lock', body }));
      const answers = await server.ok('POST', '/batch', { requests }, { master: true });
      expect(answers.every((answer: any) => answer.success)).toBe(true);
    }
    const where = encodeURIComponent(JSON.stringify({ key: { $regex: '^limit-test-' } }));
    const counted = await server.ok('GET', `/classes/Lock?where=${where}&count=1&limit=0`, undefined, { master: true });
    expect(counted.count).toBe(1010);
    const viaGet = await server.ok('GET', `/classes/Lock?where=${where}&limit=5000`, undefined, { master: true });
    expect(viaGet.results).toHaveLength(1000);
    const viaPost = await server.ok('POST', '/classes/Lock', { _method: 'GET', where: { key: { $regex: '^limit-test-' } }, limit: 5000 }, { master: true });
    expect(viaPost.results).toHaveLength(1000);
  });

  test.each([
    ['GET ?skip=20000', () => server.ok('GET', '/classes/Product?skip=20000')],
    ['POST with _method GET', () => server.ok('POST', '/classes/Product', { _method: 'GET', skip: 20000 })],
    ['a customer reading its orders', () => server.ok('GET', '/classes/Order?skip=10001', undefined, { session: customer })],
  ])('a skip above 10,000 is refused with 142 naming skip: %s', async (_name, call) => {
    const refused = await failure(call());
    expect(refused.status).toBe(400);
    expect(refused.code).toBe(142);
    expect(refused.message).toMatch(/^142: skip: must be at most 10,000/);
  });

  test('inside a batch, the find gets the same 142 as its answer', async () => {
    const answers = await server.ok('POST', '/batch', { requests: [{ method: 'GET', path: '/parse/classes/FlashSale', body: { skip: 50000 } }] });
    expect(answers).toHaveLength(1);
    expect(answers[0].error).toMatchObject({ code: 142 });
    expect(answers[0].error.error).toMatch(/^skip: must be at most 10,000/);
  });

  test('skip 10,000 is allowed, and so is any skip with the master key', async () => {
    expect((await server.ok('GET', '/classes/Product?skip=10000')).results).toEqual([]);
    expect((await server.ok('GET', '/classes/Product?skip=20000', undefined, { master: true })).results).toEqual([]);
  });

  test('GraphQL finds get the same skip rule', async () => {
    const answer = await post(graphQLURL(), JSON.stringify({ query: 'query { products(skip: 20000) { edges { node { objectId } } } }' }));
    const body = JSON.parse(answer.text);
    expect(body.errors[0]).toMatchObject({ extensions: { code: 142 } });
    expect(body.errors[0].message).toMatch(/^skip: must be at most 10,000/);
  });

  test('a GraphQL query nested deeper than 20 is refused with 400, not a 500', async () => {
    const nested = (levels: number) =>
      `query { roles { edges { node { ${'roles { edges { node { '.repeat(levels)}objectId${' } } }'.repeat(levels)} } } } }`;
    const tooDeep = await post(graphQLURL(), JSON.stringify({ query: nested(6) })); // 3 + 18 + 1 = 22 levels
    expect(tooDeep.status).toBe(400);
    expect(JSON.parse(tooDeep.text).errors[0].message).toBe('GraphQL query depth of 21 exceeds maximum allowed depth of 20');
    // 19 levels pass the depth rule and reach the class-level permission (anonymous: 119).
    const allowedDepth = JSON.parse((await post(graphQLURL(), JSON.stringify({ query: nested(5) }))).text);
    expect(allowedDepth.errors[0]).toMatchObject({ message: 'Permission denied', extensions: { code: 119 } });
  });

  test('a GraphQL query with more than 200 fields is refused with 400', async () => {
    const fields = (count: number) => `query { ${Array.from({ length: count }, (_, i) => `f${i}: health`).join(' ')} }`;
    const tooMany = await post(graphQLURL(), JSON.stringify({ query: fields(201) }));
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.text).errors[0].message).toBe('Number of GraphQL fields (201) exceeds maximum allowed (200)');
    const enough = await post(graphQLURL(), JSON.stringify({ query: fields(200) }));
    expect(enough.status).toBe(200);
    expect(JSON.parse(enough.text).data.f199).toBe(true);
  });
});

describe('logins and passwords', () => {
  async function login(username: string, password: string) {
    return server.request('POST', '/login', { username, password });
  }

  test(`5 failed logins lock the account for LOGIN_LOCKOUT_MINUTES (${LOCKOUT_MINUTES}), and the answer says so`, async () => {
    const user = await server.signUp('lockout');
    for (let i = 0; i < 5; i++) {
      expect((await login(user.username, 'wrong-password-1')).body).toEqual({ code: 101, error: 'Invalid username/password.' });
    }
    const locked = await login(user.username, 'password-123'); // the right password, during the lock
    expect(locked.status).toBe(404);
    expect(locked.body).toEqual({
      code: 101,
      error: `Your account is locked due to multiple failed login attempts. Please try again after ${LOCKOUT_MINUTES} minute(s)`,
    });
    await new Promise((resolve) => setTimeout(resolve, LOCKOUT_MINUTES * 60_000 + 500));
    const unlocked = await login(user.username, 'password-123');
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.sessionToken).toMatch(/^r:/);
  });

  test('4 failed logins and a good one leave the account open (the count starts again)', async () => {
    const user = await server.signUp('lockout-reset');
    for (let i = 0; i < 4; i++) expect((await login(user.username, 'wrong-password-1')).status).toBe(404);
    expect((await login(user.username, 'password-123')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(user.username, 'wrong-password-1')).status).toBe(404);
    expect((await login(user.username, 'password-123')).status).toBe(200);
  });

  test.each([
    ['7 characters', 'sevenpw', 'password: must be at least 8 characters and must not contain the username'],
    ['the username in it', '{username}-2026!', 'Password cannot contain your username.'],
  ])('a sign-up with a password of %s is refused with 142', async (_name, password, message) => {
    const username = `policy-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    const refused = await failure(server.ok('POST', '/users', { username, password: password.replace('{username}', username) }));
    expect(refused.status).toBe(400);
    expect(refused.code).toBe(142);
    expect(refused.message).toBe(`142: ${message}`);
    expect((await login(username, password.replace('{username}', username))).status).toBe(404); // no account was made
  });

  test('a password of 8 characters without the username is accepted', async () => {
    const username = `policy-ok-${Date.now()}`;
    const created = await server.ok('POST', '/users', { username, password: 'eightch!' });
    expect(created.sessionToken).toMatch(/^r:/);
  });

  test('a user cannot change its password to a short one, and the master key cannot either', async () => {
    const user = await server.signUp('policy-change');
    const own = await failure(server.ok('PUT', `/users/${user.userId}`, { password: 'short' }, { session: user }));
    expect(own.code).toBe(142);
    const master = await failure(server.ok('PUT', `/users/${user.userId}`, { password: user.username }, { master: true }));
    expect(master.code).toBe(142);
    expect((await login(user.username, 'password-123')).status).toBe(200);
  });

  test('the development admin logs in with its default password, which passes the rule', async () => {
    const admin = await server.admin();
    expect(admin.sessionToken).toMatch(/^r:/);
  });
});

test('the master key header still works from loopback (the default MASTER_KEY_IPS)', async () => {
  const response = await fetch(`${server.apiURL}/classes/Lock?limit=1`, { headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY } });
  expect(response.status).toBe(200);
});
