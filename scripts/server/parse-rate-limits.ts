/**
 * The one door to Parse Server's rate-limit rules as it keeps them (`Config.rateLimits`, private):
 * each entry holds the rule's path as `{ regexp }` and the express-rate-limit `handler` with its
 * store. test/integration/rate-limits.contract.int.test.ts pins what this file relies on.
 *
 * Two things are done here that Parse offers no option for:
 * - counting a call that no rule's path can see (GraphQL, POST /classes/Order) against the rules
 *   of the REST call it stands for, the way Parse's own lib/batch.js counts batch sub-requests;
 * - bounding the wait for Redis. Parse's Redis client queues commands while it is disconnected
 *   and has no timeout, so with Redis down every limited request would wait until Redis returned.
 *   Each handler is wrapped: an answer that does not come within REDIS_WAIT_MS, or a Redis error,
 *   lets the request through (rate limits fail open; stock, sale quotas, per-user limits and
 *   account lockout are enforced in the database), and while Redis is out no command is sent
 *   except one probe every PROBE_EVERY_MS, so the client's queue cannot grow with traffic.
 */
import type { Request } from 'express';

/** Parse's code for a rate-limit refusal (Parse.Error.CONNECTION_FAILED), answered with HTTP 429. */
export const RATE_LIMITED = 100;

const REDIS_WAIT_MS = 1000;
const PROBE_EVERY_MS = 2000;

type Next = (error?: unknown) => void;
type Handler = (req: unknown, res: unknown, next: Next) => Promise<void> | void;

interface ParseRule {
  path: { regexp: RegExp } | RegExp;
  handler: Handler;
  errorResponseMessage?: string;
}

interface ParseConfig {
  rateLimits?: ParseRule[];
}

/** Parse's rules of this request's app (set on `req.config` by Parse's handleParseHeaders). */
function rulesOf(config: ParseConfig | undefined): ParseRule[] {
  return config?.rateLimits ?? [];
}

function pathOf(rule: ParseRule): RegExp {
  return 'regexp' in rule.path ? rule.path.regexp : rule.path;
}

function hostConfig(appId: string): ParseConfig {
  const Config = require('parse-server/lib/Config') as { get(appId: string): ParseConfig };
  return Config.get(appId);
}

/**
 * Parse's `Parse.Server` getter builds a new Config, with a new DatabaseController, on every read,
 * and its rate limiter reads it for every limited request, once per rule, for the constant
 * RateLimitZone: 3 to 6% of a checkout's server CPU. Once the server has started, reads share
 * one built value; assigning Parse.Server still goes to Parse, and the next read builds afresh.
 */
export function buildParseServerOnce(): void {
  const parse = (globalThis as unknown as { Parse: object }).Parse;
  const descriptor = Object.getOwnPropertyDescriptor(parse, 'Server');
  if (!descriptor?.get || !descriptor.set) throw new Error("Parse.Server is no longer Parse Server's getter and setter (see parse-rate-limits.ts)");
  const { get, set } = descriptor;
  let built: unknown;
  Object.defineProperty(parse, 'Server', {
    configurable: true,
    get: () => (built ??= get.call(parse)),
    set: (value: unknown) => {
      built = undefined;
      set.call(parse, value);
    },
  });
}

/** The messages of the rules, to recognise their refusals in answers Parse writes itself (batch). */
export function ruleMessages(appId: string): Set<string> {
  return new Set(rulesOf(hostConfig(appId)).map((rule) => rule.errorResponseMessage ?? 'Too many requests'));
}

/**
 * Counts one call of `method path` (a Parse REST path like /functions/checkout) for this request
 * against every rule whose path matches it, as lib/batch.js does for a batch sub-request. Returns
 * the refusing rule's message, or null when every matching rule lets the call through.
 */
export async function countAsRestCall(req: Request, method: string, path: string): Promise<string | null> {
  const parsed = req as Request & { config?: ParseConfig & { ip?: string }; info?: Record<string, unknown>; auth?: unknown };
  for (const rule of rulesOf(parsed.config)) {
    if (!pathOf(rule).test(path)) continue;
    const info = { ...parsed.info };
    if (path === '/login') delete info.sessionToken; // as Parse: a login is counted per address, never per session
    const fakeReq = { ip: req.ip ?? parsed.config?.ip, method, config: parsed.config, auth: parsed.auth, info };
    const fakeRes = { setHeader() {} };
    try {
      await rule.handler(fakeReq, fakeRes, (error) => {
        if (error) throw error;
      });
    } catch {
      return rule.errorResponseMessage ?? 'Too many requests';
    }
  }
  return null;
}

type Logger = { error(message: string): void; log(message: string): void };

/**
 * The outage as the log tells it: it starts when the first rule finds Redis gone and ends when
 * every rule that found it gone has had an answer again (each rule has its own Redis client, and
 * they reconnect one by one).
 */
class OutageLog {
  private readonly out = new Set<RedisOutage>();
  private since = 0;

  constructor(private readonly logger: Logger) {}

  begin(rule: RedisOutage, cause: string): void {
    if (this.out.size === 0) {
      this.since = Date.now();
      this.logger.error(`Rate limits: Redis does not answer (${cause}); requests are let through uncounted until it does.`);
    }
    this.out.add(rule);
  }

  end(rule: RedisOutage): void {
    if (!this.out.delete(rule) || this.out.size > 0) return;
    const seconds = Math.round((Date.now() - this.since) / 1000);
    this.logger.log(`Rate limits: Redis answers again after ${seconds} s; requests are counted again.`);
  }
}

/** One rule's view of Redis: while its client gets no answer, it asks only once per probe period. */
class RedisOutage {
  private since: number | null = null;
  private lastProbe = 0;

  constructor(private readonly log: OutageLog) {}

  /** True while Redis is out for this rule and no probe is due: the handler is not called at all. */
  skips(now: number): boolean {
    if (this.since === null || now - this.lastProbe >= PROBE_EVERY_MS) {
      if (this.since !== null) this.lastProbe = now;
      return false;
    }
    return true;
  }

  begin(cause: string): void {
    if (this.since !== null) return;
    this.since = Date.now();
    this.lastProbe = this.since;
    this.log.begin(this, cause);
  }

  end(): void {
    if (this.since === null) return;
    this.since = null;
    this.log.end(this);
  }
}

function bounded(handler: Handler, outage: RedisOutage): Handler {
  return async (req, res, next) => {
    if (outage.skips(Date.now())) return next();
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      new Promise<{ error?: unknown }>((resolve) => {
        Promise.resolve(handler(req, res, (error) => resolve({ error }))).catch((error: unknown) => resolve({ error }));
      }),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), REDIS_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (result === 'timeout') {
      outage.begin(`no answer in ${REDIS_WAIT_MS} ms`);
      return next();
    }
    const code = (result.error as { code?: unknown } | undefined)?.code;
    if (result.error !== undefined && code !== RATE_LIMITED) {
      outage.begin(String((result.error as Error)?.message ?? result.error));
      return next();
    }
    outage.end();
    return next(result.error);
  };
}

/**
 * Wraps every rule's handler of `appId` so that a dead or hung Redis never holds a request (see the
 * file comment). Call once, after Parse Server built its app (the rules are made then), and only
 * when the rules keep their counts in Redis. Each rule tracks its own client; the log tells one
 * outage for all of them.
 */
export function boundRedisWaits(appId: string, logger: Logger = console): void {
  const log = new OutageLog(logger);
  for (const rule of rulesOf(hostConfig(appId))) rule.handler = bounded(rule.handler, new RedisOutage(log));
}
