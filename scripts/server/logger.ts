/**
 * Parse Server logs every Parse error it answers at `error` level, refusals included (4001 out of
 * stock, 142 invalid input, ...). A sold-out storm would write thousands of such lines, synchronously
 * on a pipe. Refusals are answers, so they are logged at `info`; internal errors stay at `error`.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WinstonLoggerAdapter } = require('parse-server/lib/Adapters/Logger/WinstonLoggerAdapter') as {
  WinstonLoggerAdapter: new (options: unknown) => { log(level: string, message: unknown, ...rest: unknown[]): unknown };
};

const INTERNAL_SERVER_ERROR = 1;

export class ShopLoggerAdapter extends WinstonLoggerAdapter {
  override log(level: string, message: unknown, ...rest: unknown[]): unknown {
    const error = rest[0] as { code?: unknown } | undefined;
    const refusal = message === 'Parse error: ' && typeof error?.code === 'number' && error.code !== INTERNAL_SERVER_ERROR;
    return super.log(refusal && level === 'error' ? 'info' : level, message, ...rest);
  }
}
