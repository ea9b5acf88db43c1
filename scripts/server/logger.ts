/**
 * Parse Server logs every Parse error it answers at `error` level, refusals included (4001 out of
 * stock, 142 invalid input, ...). A sold-out storm would write thousands of such lines, synchronously
 * on a pipe. Refusals are answers, so they are logged at `info`; internal errors stay at `error`.
 * The rate limits' Redis clients log each failed reconnection (every 2 s per rule while Redis is
 * down): parse-rate-limits.ts logs the outage once instead.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WinstonLoggerAdapter } = require('parse-server/lib/Adapters/Logger/WinstonLoggerAdapter') as {
  WinstonLoggerAdapter: new (options: unknown) => { log(level: string, message: unknown, ...rest: unknown[]): unknown };
};

const INTERNAL_SERVER_ERROR = 1;

const INFO_OR_MORE = ['info', 'verbose', 'debug', 'silly'];

const RATE_LIMIT_REDIS_ERROR = 'Middlewares addRateLimit Redis client error';

export class ShopLoggerAdapter extends WinstonLoggerAdapter {
  private readonly logsRefusals: boolean;

  constructor(options: { logLevel?: string } = {}) {
    super(options);
    this.logsRefusals = INFO_OR_MORE.includes(options.logLevel ?? '');
  }

  override log(level: string, message: unknown, ...rest: unknown[]): unknown {
    if (message === RATE_LIMIT_REDIS_ERROR) return undefined;
    const error = rest[0] as { code?: unknown } | undefined;
    const refusal = message === 'Parse error: ' && typeof error?.code === 'number' && error.code !== INTERNAL_SERVER_ERROR;
    if (!refusal) return super.log(level, message, ...rest);
    // Skipped before winston formats it, unless info is logged at all.
    return this.logsRefusals ? super.log('info', message, ...rest) : undefined;
  }
}
