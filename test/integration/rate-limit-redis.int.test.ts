/**
 * Rate limits kept in Redis (REDIS_URL): each rule counts on its own, two server processes count
 * together, and with Redis down the API keeps answering (limits fail open, logged once) and counts
 * again once Redis is back. A private redis-server, so it can be killed and restarted mid-test.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PrivateRedis } from '../helpers/redis';
import { APP_ID, type Session, startTestServer, type TestServer } from '../helpers/server';

const LIMIT = 3;
const OUTAGE_LINE = /Rate limits: Redis does not answer/g;
const BACK_LINE = 'Rate limits: Redis answers again';

let redis: PrivateRedis;
let first: TestServer;
let second: TestServer;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  const env = {
    REDIS_URL: redis.url(0),
    RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT),
    RATE_LIMIT_CHECKOUT_PER_MINUTE: String(LIMIT),
    RATE_LIMIT_APPLY_CODE_PER_MINUTE: String(LIMIT),
    // Behind a trusted proxy, so that each test can come from an address of its own.
    TRUST_PROXY: 'true',
  };
  first = await startTestServer(env);
  second = await startTestServer(env, first.databaseURI);
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
  await redis?.kill();
});

let addresses = 0;
function newAddress(): Record<string, string> {
  return { 'X-Forwarded-For': `198.51.100.${++addresses}` };
}

const WRONG = { username: 'nobody', password: 'wrong-password' };

async function loginStatus(server: TestServer, headers: Record<string, string>): Promise<number> {
  return (await server.request('POST', '/login', WRONG, { headers })).status;
}

async function checkoutStatus(server: TestServer, session: Session, productId: string, key: string): Promise<number> {
  const body = { idempotencyKey: `redis-limit-${key}`, items: [{ productId, quantity: 1 }] };
  return (await server.request('POST', '/functions/checkout', body, { session })).status;
}

async function graphQLCheckoutStatus(server: TestServer, session: Session, productId: string, key: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Session-Token': session.sessionToken, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation Checkout($key: String!, $items: [CartItemInput!]) { checkout(idempotencyKey: $key, items: $items) { checkoutId } }',
      variables: { key: `redis-limit-${key}`, items: [{ productId, quantity: 1 }] },
    }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  return body.errors && response.status === 200 ? 400 : response.status;
}

test('each rule has its own counter: logins do not use up sign-ups, code guesses do not use up checkouts', async () => {
  const headers = newAddress();
  const logins = [];
  for (let i = 0; i < LIMIT + 1; i++) logins.push(await loginStatus(first, headers));
  expect(logins).toEqual([404, 404, 404, 429]);
  const signUp = await first.request('POST', '/users', { username: `redis-rules-${Date.now()}`, password: 'password-123' }, { headers });
  expect(signUp.status).toBe(201);

  const productId = await first.product({ price: 1, stock: 100 });
  const [user] = await first.users(1);
  const guesses = [];
  for (let i = 0; i < LIMIT + 1; i++) guesses.push((await first.request('POST', '/functions/applyCode', { code: `GUESS-${i}` }, { session: user })).status);
  expect(guesses).toEqual([400, 400, 400, 429]);
  expect(await checkoutStatus(first, user, productId, 'rules-1')).toBe(200);
});

test('two server processes on one Redis count the login limit together', async () => {
  expect(second.port).not.toBe(first.port);
  const headers = newAddress();
  expect([await loginStatus(first, headers), await loginStatus(second, headers), await loginStatus(first, headers)]).toEqual([404, 404, 404]);
  expect(await loginStatus(second, headers)).toBe(429);
  expect(await loginStatus(first, headers)).toBe(429);
});

test('with Redis down the API keeps answering, limits fail open and say so once; once Redis is back they count again', async () => {
  const productId = await first.product({ price: 1, stock: 100 });
  // Signed up now: a sign-up while Redis is coming back would put that rule into the outage too.
  const [buyer, prober] = await first.users(2);
  await redis.kill();
  try {
    const headers = newAddress();
    const started = Date.now();
    const logins = [];
    for (let i = 0; i < LIMIT + 3; i++) logins.push(await loginStatus(first, headers));
    expect(logins).toEqual(Array(LIMIT + 3).fill(404));
    const checkouts = [];
    for (let i = 0; i < LIMIT + 1; i++) checkouts.push(await checkoutStatus(first, buyer, productId, `down-${i}`));
    checkouts.push(await graphQLCheckoutStatus(first, buyer, productId, 'down-graphql'));
    expect(checkouts).toEqual(Array(LIMIT + 2).fill(200));
    // Each wait for Redis is bounded (1 s), and while it is out most requests do not wait at all.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await loginStatus(second, headers)).toBe(404);
    expect(first.spawned.output().match(OUTAGE_LINE)).toHaveLength(1);
    expect(await first.stockOf(productId)).toBe(100 - LIMIT - 2);
  } finally {
    await redis.restart();
  }

  // The next request of each rule that tries Redis (one every 2 s while it is out) finds it back;
  // the log says so once every rule that lost it has.
  const deadline = Date.now() + 20_000;
  for (let i = 0; !first.spawned.output().includes(BACK_LINE); i++) {
    if (Date.now() > deadline) throw new Error(`rate limits did not find Redis back:\n${first.spawned.output().slice(-3000)}`);
    await loginStatus(first, newAddress());
    await checkoutStatus(first, prober, productId, `probe-${i}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const [fresh] = await first.users(1);
  const statuses = [];
  for (let i = 0; i < LIMIT + 1; i++) statuses.push(await checkoutStatus(first, fresh, productId, `back-${i}`));
  expect(statuses).toEqual([200, 200, 200, 429]);

  for (const server of [first, second]) {
    const output = server.spawned.output();
    expect(output).not.toMatch(/uncaught exception|Unhandled promise rejection| died,/i);
    expect(output).not.toContain('addRateLimit Redis client error');
    expect(server.spawned.child.exitCode).toBeNull();
  }
}, 90_000);
