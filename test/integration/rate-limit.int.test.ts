import { afterAll, beforeAll, expect, test } from 'vitest';
import { APP_ID, startTestServer, type TestServer } from '../helpers/server';

const BURST = 5;
let server: TestServer;

beforeAll(async () => {
  // Behind a trusted proxy, so that each test below can come from an address of its own.
  server = await startTestServer({ RATE_LIMIT_AUTH_PER_MINUTE: String(BURST), TRUST_PROXY: 'true' });
});
afterAll(() => server?.stop());

let addresses = 0;
/** Headers of a client at an address no other test uses. */
function newAddress(): Record<string, string> {
  return { 'X-Forwarded-For': `203.0.113.${++addresses}` };
}

async function graphQL(headers: Record<string, string>, query: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

const WRONG = { username: 'nobody', password: 'wrong-password' };

test(`login from one IP answers 429 after ${BURST} attempts in a minute`, async () => {
  const statuses: number[] = [];
  for (let i = 0; i < BURST + 2; i++) {
    statuses.push((await server.request('POST', '/login', { username: 'nobody', password: 'wrong-password' })).status);
  }
  expect(statuses.slice(0, BURST).every((s) => s === 404)).toBe(true);
  expect(statuses.slice(BURST)).toEqual([429, 429]);
  const limited = await server.request('POST', '/login', { username: 'admin', password: 'shop-owner-password' });
  expect(limited.status).toBe(429);
  expect(limited.body.error).toContain('Too many login attempts');
});

test(`sign-up from one IP answers 429 after ${BURST} in a minute`, async () => {
  const statuses: number[] = [];
  for (let i = 0; i < BURST + 1; i++) {
    const username = `burst-${i}-${Date.now()}`;
    statuses.push((await server.request('POST', '/users', { username, password: 'password-123' })).status);
  }
  expect(statuses.slice(0, BURST).every((s) => s === 201)).toBe(true);
  expect(statuses[BURST]).toBe(429);
});

test('other endpoints are not limited by the login limit', async () => {
  const responses = await Promise.all(Array.from({ length: BURST * 2 }, () => server.request('POST', '/functions/serverTime', {})));
  expect(responses.every((r) => r.status === 200)).toBe(true);
});

test('GraphQL logIn, /verifyPassword and /challenge count with /login from one address', async () => {
  const headers = newAddress();
  const logIn = `mutation { logIn(input: { username: "nobody", password: "wrong-password" }) { viewer { sessionToken } } }`;
  expect((await graphQL(headers, logIn)).body.errors[0].extensions.code).toBe(101);
  expect((await server.request('POST', '/login', WRONG, { headers })).status).toBe(404);
  expect((await server.request('POST', '/verifyPassword', WRONG, { headers })).status).toBe(404);
  expect((await server.request('POST', '/challenge', WRONG, { headers })).status).toBe(404);
  expect((await graphQL(headers, logIn)).body.errors[0].extensions.code).toBe(101);
  expect(await graphQL(headers, logIn)).toEqual({
    status: 429,
    body: { errors: [{ message: 'Too many login attempts from this address; wait a minute and try again.', extensions: { code: 429 } }] },
  });
  expect((await server.request('POST', '/login', WRONG, { headers })).status).toBe(429);
  expect((await server.request('POST', '/verifyPassword', WRONG, { headers })).status).toBe(429);
  expect((await server.request('POST', '/login', WRONG, { headers: newAddress() })).status).toBe(404);
});

test('GraphQL signUp and createUser, POST /classes/_User and batched sign-ups count with POST /users', async () => {
  const headers = newAddress();
  const name = () => `burst-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const signUp = () => graphQL(headers, `mutation { signUp(input: { fields: { username: "${name()}", password: "password-123" } }) { viewer { sessionToken } } }`);
  const createUser = () => graphQL(headers, `mutation { createUser(input: { fields: { username: "${name()}", password: "password-123" } }) { user { id } } }`);
  expect((await signUp()).body.data.signUp.viewer.sessionToken).toEqual(expect.any(String));
  // Counted whatever the answer (the shop refuses the read of the new user that createUser makes).
  expect((await createUser()).status).toBe(200);
  expect((await server.request('POST', '/classes/_User', { username: name(), password: 'password-123' }, { headers })).status).toBe(201);
  const batch = { requests: [{ method: 'POST', path: '/parse/classes/_User', body: { username: name(), password: 'password-123' } }] };
  expect((await server.request('POST', '/batch', batch, { headers })).status).toBe(200);
  expect((await server.request('POST', '/users', { username: name(), password: 'password-123' }, { headers })).status).toBe(201);
  expect((await signUp()).status).toBe(429);
  expect((await createUser()).status).toBe(429);
  expect((await server.request('POST', '/classes/_User', { username: name(), password: 'password-123' }, { headers })).status).toBe(429);
  expect((await server.request('POST', '/batch', batch, { headers })).status).toBe(429);
  expect((await server.request('POST', '/users', { username: name(), password: 'password-123' }, { headers })).status).toBe(429);
});

test('a multipart GraphQL request, whose operations the limits cannot read, is refused without the master key', async () => {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation { logIn(input: { username: "nobody", password: "wrong-password" }) { viewer { sessionToken } } }' }));
  form.append('map', '{}');
  const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, { method: 'POST', headers: { 'X-Parse-Application-Id': APP_ID }, body: form });
  expect(response.status).toBe(415);
  expect(((await response.json()) as any).errors[0].message).toBe('GraphQL requests must be sent as application/json.');
});
