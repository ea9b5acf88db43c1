import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server';

const BURST = 5;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_AUTH_PER_MINUTE: String(BURST) });
});
afterAll(() => server?.stop());

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
