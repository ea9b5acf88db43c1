/**
 * Contract test of the private Parse Server state behind scripts/server/parse-rate-limits.ts (the
 * rules in `Config.rateLimits`, their `path.regexp` and `handler`), in-process against a real
 * Parse Server: an upgrade that changes how Parse keeps its rules fails here, by name.
 */
import net from 'node:net';
import ParseServer from 'parse-server';
import type { Request } from 'express';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { boundRedisWaits, buildParseServerOnce, countAsRestCall, ruleMessages } from '../../scripts/server/parse-rate-limits';
import { createTestDatabase, MASTER_KEY } from '../helpers/server';

const APP_ID = 'rate-limit-contract';
let parseServer: { app: unknown; handleShutdown?: () => Promise<void> };
let deadRedis: net.Server;

/** A port that accepts connections and never answers: a hung Redis. */
function silentPort(): Promise<number> {
  deadRedis = net.createServer(() => undefined);
  return new Promise((resolve) => deadRedis.listen(0, '127.0.0.1', () => resolve((deadRedis.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  const port = await silentPort();
  const rule = { requestTimeWindow: 60_000, requestCount: 2, includeInternalRequests: true, zone: 'ip' };
  const server = new ParseServer({
    appId: APP_ID,
    masterKey: MASTER_KEY,
    databaseURI: await createTestDatabase(),
    serverURL: 'http://127.0.0.1:1/parse',
    cloud: () => undefined,
    rateLimit: [
      { ...rule, requestPath: '/login', requestMethods: ['POST'], errorResponseMessage: 'Too many logins.' },
      { ...rule, requestPath: '/functions/hung', errorResponseMessage: 'Too many hung calls.', redisUrl: `redis://127.0.0.1:${port}/1` },
    ],
    logLevel: 'error',
    logsFolder: null,
    verifyServerUrl: false,
  } as never);
  await server.start();
  parseServer = server as never;
  void parseServer.app; // Parse makes the rules when it builds its express app
});

afterAll(async () => {
  await parseServer?.handleShutdown?.().catch(() => undefined);
  deadRedis?.close();
});

function hostConfig(): Record<string, unknown> {
  const Config = require('parse-server/lib/Config') as { get(appId: string): Record<string, unknown> };
  return Config.get(APP_ID);
}

/** A request as Parse's handleParseHeaders leaves it for a client at `ip`. */
function requestFrom(ip: string): Request {
  return { ip, config: { ...hostConfig(), ip }, info: {}, auth: { isMaster: false } } as unknown as Request;
}

test('Config.rateLimits holds each rule with its path as { regexp }, its handler and its message', () => {
  const rules = hostConfig().rateLimits as Array<{ path: { regexp: RegExp }; handler: unknown; errorResponseMessage: string }>;
  expect(rules).toHaveLength(2);
  expect(rules[0].path.regexp).toBeInstanceOf(RegExp);
  expect(rules[0].path.regexp.test('/login')).toBe(true);
  expect(rules[0].path.regexp.test('/users')).toBe(false);
  expect(typeof rules[0].handler).toBe('function');
  expect([...ruleMessages(APP_ID)]).toEqual(['Too many logins.', 'Too many hung calls.']);
});

test('countAsRestCall counts against the rule of the path and answers its message beyond the limit, per address', async () => {
  const calls = [];
  for (let i = 0; i < 3; i++) calls.push(await countAsRestCall(requestFrom('203.0.113.1'), 'POST', '/login'));
  expect(calls).toEqual([null, null, 'Too many logins.']);
  expect(await countAsRestCall(requestFrom('203.0.113.2'), 'POST', '/login')).toBeNull();
  expect(await countAsRestCall(requestFrom('203.0.113.3'), 'GET', '/login')).toBeNull(); // the rule's methods apply
  expect(await countAsRestCall(requestFrom('203.0.113.1'), 'POST', '/users')).toBeNull(); // no rule matches
});

test('boundRedisWaits lets a call through when Redis does not answer, logs that once, and sends nothing more until a probe is due', async () => {
  const lines: string[] = [];
  boundRedisWaits(APP_ID, { error: (line) => lines.push(line), log: (line) => lines.push(line) });
  const started = Date.now();
  expect(await countAsRestCall(requestFrom('203.0.113.4'), 'POST', '/functions/hung')).toBeNull();
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  const again = Date.now();
  expect(await countAsRestCall(requestFrom('203.0.113.4'), 'POST', '/functions/hung')).toBeNull();
  expect(Date.now() - again).toBeLessThan(200);
  expect(lines).toEqual(['Rate limits: Redis does not answer (no answer in 1000 ms); requests are let through uncounted until it does.']);
});

test('Parse.Server: built anew on every read by Parse; once built, the same value, with what the rate limiter reads', () => {
  const parse = (globalThis as unknown as { Parse: { Server: { RateLimitZone?: unknown; database?: unknown; appId?: string } } }).Parse;
  expect(parse.Server).not.toBe(parse.Server); // Parse's getter: a new Config each time
  buildParseServerOnce();
  const first = parse.Server;
  expect(parse.Server).toBe(first);
  expect(first.RateLimitZone).toMatchObject({ global: 'global', session: 'session', user: 'user', ip: 'ip' });
  expect(first.database).toBeTruthy();
  expect(first.appId).toBe(APP_ID);
});
