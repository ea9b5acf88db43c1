/**
 * The only reader of process.env. Every setting is parsed and validated once; a bad value stops
 * start-up with a one-line message that names the variable.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

export const DEFAULT_MASTER_KEY = 'dev-master-key-change-me';
export const DEFAULT_ADMIN = { username: 'admin', password: 'shop-owner-password' } as const;

/** The password rule of every account (Parse's passwordPolicy applies it to master-key saves too). */
export const PASSWORD_MIN_LENGTH = 8;

/** Why `password` breaks the password rule for `username`, or null. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.includes(username)) return 'must not contain the username';
  return null;
}

/** The folder with package.json and schema/, also when this file runs compiled from build/. */
export const PROJECT_ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'schema'))) return dir;
    if (dir === path.dirname(dir)) return __dirname;
  }
})();

const port = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be from 0 to 65535')
  .max(65535, 'must be from 0 to 65535');
const perMinute = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1');
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const ipList = z
  .string()
  .transform((list) => list.split(',').map((ip) => ip.trim()).filter((ip) => ip !== ''))
  .refine((ips) => ips.length > 0, 'must list at least one IP address')
  .refine(
    (ips) => ips.every((ip) => /^[^/]+(\/\d{1,3})?$/.test(ip) && isIP(ip.split('/')[0]) !== 0),
    'must be IP addresses or CIDR ranges separated by commas, like 127.0.0.1,::1 or 10.0.0.0/8',
  );
const nonEmpty = z.string().trim().min(1, 'must not be empty');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(1337),
  HOST: nonEmpty.default('0.0.0.0'),
  PARSE_MOUNT: z
    .string()
    .regex(/^\/[A-Za-z0-9_-]+$/, 'must be a path like /parse')
    .default('/parse'),
  SERVER_URL: z.url({ message: 'must be a URL like http://localhost:1337/parse' }).optional(),
  PUBLIC_SERVER_URL: z.url({ message: 'must be a URL' }).optional(),
  APP_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
    .default('shop'),
  MASTER_KEY: z.string().min(1, 'must not be empty').default(DEFAULT_MASTER_KEY),
  DATABASE_URI: z
    .string()
    .regex(/^(postgres|postgresql|mongodb|mongodb\+srv):\/\//, 'must start with postgres:// or mongodb://')
    .optional(),
  DATA_DIR: nonEmpty.default(path.join(PROJECT_ROOT, '.data')),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  WORKERS: z.coerce
    .number({ message: 'must be a number of server processes' })
    .int('must be a whole number')
    .min(1, 'must be from 1 to 64')
    .max(64, 'must be from 1 to 64')
    .default(1),
  ADMIN_USERNAME: nonEmpty.optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  PAYMENT_MODE: z.enum(['auto', 'manual']).default('auto'),
  PENDING_ORDER_TTL_MINUTES: z.coerce
    .number({ message: 'must be a number of minutes' })
    .positive('must be a positive number of minutes')
    .default(15),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a three-letter currency code like USD')
    .default('USD'),
  DEMO_DATA: flag.optional(),
  RATE_LIMIT_AUTH_PER_MINUTE: perMinute.default(20),
  RATE_LIMIT_CHECKOUT_PER_MINUTE: perMinute.default(30),
  RATE_LIMIT_APPLY_CODE_PER_MINUTE: perMinute.default(10),
  TRUST_PROXY: flag.default(false),
  TEST_FAIL_UNDO: nonEmpty.optional(),
  TEST_FAIL_STEP: nonEmpty.optional(),
  TEST_CHECKOUT_IN_STEPS: flag.optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'verbose', 'debug', 'silly']).default('warn'),
  LOGIN_LOCKOUT_ATTEMPTS: z.coerce
    .number({ message: 'must be a number of failed logins' })
    .int('must be a whole number')
    .min(1, 'must be from 1 to 999')
    .max(999, 'must be from 1 to 999')
    .default(5),
  LOGIN_LOCKOUT_MINUTES: z.coerce
    .number({ message: 'must be a number of minutes' })
    .positive('must be a positive number of minutes')
    .max(99_999, 'must be less than 100000 minutes')
    .default(5),
  MASTER_KEY_IPS: ipList.default(['127.0.0.1', '::1']),
});

export type Env = z.input<typeof EnvSchema>;

export interface ShopConfig {
  production: boolean;
  port: number;
  host: string;
  mountPath: string;
  /** The URL Parse Server uses to call itself; derived from PORT unless SERVER_URL is set. */
  serverURL: string | undefined;
  publicServerURL: string | undefined;
  appId: string;
  masterKey: string;
  /** undefined: the embedded PostgreSQL under dataDir. */
  databaseURI: string | undefined;
  dataDir: string;
  redisURL: string | undefined;
  /** Server processes the supervisor keeps running on the one port (more than 1 needs Redis). */
  workers: number;
  admin: { username: string; password: string; isDefault: boolean };
  paymentMode: 'auto' | 'manual';
  pendingOrderTtlMs: number;
  currency: string;
  loadDemoData: boolean;
  rateLimits: { authPerMinute: number; checkoutPerMinute: number; applyCodePerMinute: number };
  trustProxy: boolean;
  logLevel: string;
  /** Failed logins that lock an account, and for how long. */
  loginLockout: { attempts: number; minutes: number };
  /** Where the master key is accepted from (IP addresses and CIDR ranges). */
  masterKeyIps: string[];
  /** Test servers only: the checkout step whose undo fails, to prove that recovery settles such a checkout. */
  testFailUndo: string | undefined;
  /** Test servers only: the checkout step that fails (after the steps before it did their work). */
  testFailStep: string | undefined;
  /** Test servers only: checkouts run as steps on PostgreSQL too, as they do on MongoDB (to crash one half-way). */
  testCheckoutInSteps: boolean;
}

/** A setting that cannot be used; `variable` is the environment variable to fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly rule: string,
  ) {
    super(`${variable}: ${rule}`);
    this.name = 'ConfigError';
  }
}

/** The variables `schema` knows, parsed (empty strings count as unset); the first problem names its variable. */
function parseEnv<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const present = Object.fromEntries(
    Object.keys(schema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  return parsed.data;
}

/** Parses the environment (empty strings count as unset) into the server's settings. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ShopConfig {
  const e = parseEnv(EnvSchema, env);
  const production = e.NODE_ENV === 'production';

  if (production && e.MASTER_KEY === DEFAULT_MASTER_KEY) {
    throw new ConfigError('MASTER_KEY', 'the development default must not be used in production; set a random key of at least 32 characters');
  }
  if (production && e.MASTER_KEY.length < 32) {
    throw new ConfigError('MASTER_KEY', 'must be at least 32 characters in production');
  }
  if (production && e.DEMO_DATA) {
    throw new ConfigError('DEMO_DATA', 'demo data is never loaded in production');
  }
  if ((e.ADMIN_USERNAME === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(e.ADMIN_USERNAME ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME', 'set both ADMIN_USERNAME and ADMIN_PASSWORD, or neither');
  }
  if (production && !e.ADMIN_USERNAME) {
    throw new ConfigError('ADMIN_USERNAME', 'set ADMIN_USERNAME and ADMIN_PASSWORD: production has no default admin account');
  }
  if (production && e.ADMIN_PASSWORD === DEFAULT_ADMIN.password) {
    throw new ConfigError('ADMIN_PASSWORD', 'the development default must not be used in production');
  }
  const adminPasswordProblem = e.ADMIN_USERNAME && e.ADMIN_PASSWORD ? passwordProblem(e.ADMIN_PASSWORD, e.ADMIN_USERNAME) : null;
  if (adminPasswordProblem) throw new ConfigError('ADMIN_PASSWORD', `${adminPasswordProblem} (the password rule of every account)`);

  for (const fault of ['TEST_FAIL_UNDO', 'TEST_FAIL_STEP', 'TEST_CHECKOUT_IN_STEPS'] as const) {
    if (e[fault] && e.NODE_ENV !== 'test') throw new ConfigError(fault, 'is a fault for tests and needs NODE_ENV=test');
  }
  if (e.WORKERS > 1 && !e.REDIS_URL) {
    throw new ConfigError('WORKERS', `${e.WORKERS} processes need REDIS_URL, so that Live Query events and rate-limit counts reach every process; set REDIS_URL or WORKERS=1`);
  }

  const admin =
    e.ADMIN_USERNAME && e.ADMIN_PASSWORD
      ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD, isDefault: false }
      : { ...DEFAULT_ADMIN, isDefault: true };

  return {
    production,
    port: e.PORT,
    host: e.HOST,
    mountPath: e.PARSE_MOUNT,
    serverURL: e.SERVER_URL,
    publicServerURL: e.PUBLIC_SERVER_URL,
    appId: e.APP_ID,
    masterKey: e.MASTER_KEY,
    databaseURI: e.DATABASE_URI,
    dataDir: path.resolve(e.DATA_DIR),
    redisURL: e.REDIS_URL,
    workers: e.WORKERS,
    admin,
    paymentMode: e.PAYMENT_MODE,
    pendingOrderTtlMs: Math.round(e.PENDING_ORDER_TTL_MINUTES * 60_000),
    currency: e.CURRENCY,
    loadDemoData: !production && e.NODE_ENV !== 'test' && (e.DEMO_DATA ?? true),
    rateLimits: {
      authPerMinute: e.RATE_LIMIT_AUTH_PER_MINUTE,
      checkoutPerMinute: e.RATE_LIMIT_CHECKOUT_PER_MINUTE,
      applyCodePerMinute: e.RATE_LIMIT_APPLY_CODE_PER_MINUTE,
    },
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    loginLockout: { attempts: e.LOGIN_LOCKOUT_ATTEMPTS, minutes: e.LOGIN_LOCKOUT_MINUTES },
    masterKeyIps: e.MASTER_KEY_IPS,
    testFailUndo: e.TEST_FAIL_UNDO,
    testFailStep: e.TEST_FAIL_STEP,
    testCheckoutInSteps: e.TEST_CHECKOUT_IN_STEPS ?? false,
  };
}

let cached: ShopConfig | undefined;

/** The settings of this process, read once. Cloud code calls this for PAYMENT_MODE, CURRENCY, ... */
export function shopConfig(): ShopConfig {
  cached ??= loadConfig();
  return cached;
}

const DashboardEnvSchema = z.object({
  DASHBOARD_HOST: nonEmpty.default('127.0.0.1'),
  DASHBOARD_PORT: port.default(4040),
  DASHBOARD_ALLOW_INSECURE_HTTP: flag.default(false),
});

export interface DashboardConfig {
  host: string;
  port: number;
  /** The API as the dashboard's page in the browser reaches it (the page itself calls it, with the master key). */
  serverURL: string;
  graphQLServerURL: string;
  appId: string;
  masterKey: string;
  appName: string;
  production: boolean;
  /** The dashboard's one login: the shop's admin account. */
  user: { username: string; password: string };
  /** Behind an HTTPS proxy: requests count as secure when it says so (X-Forwarded-Proto). */
  trustProxy: boolean;
  allowInsecureHTTP: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * `npm run dashboard`'s settings, beside the server's own: on loopback the development defaults do;
 * reachable from other machines, it needs an admin account of your own and HTTPS (or an explicit
 * DASHBOARD_ALLOW_INSECURE_HTTP=true), since the dashboard hands the master key to the browser.
 */
export function loadDashboardConfig(env: Record<string, string | undefined> = process.env): DashboardConfig {
  const config = loadConfig(env);
  const { DASHBOARD_HOST: host, DASHBOARD_PORT: dashboardPort, DASHBOARD_ALLOW_INSECURE_HTTP: allowInsecureHTTP } = parseEnv(DashboardEnvSchema, env);
  if (!isLoopback(host)) {
    if (config.admin.isDefault) {
      throw new ConfigError('ADMIN_USERNAME', `the dashboard on DASHBOARD_HOST=${host} is reachable from other machines: set ADMIN_USERNAME and ADMIN_PASSWORD, the development default is public`);
    }
    if (!config.trustProxy && !allowInsecureHTTP) {
      throw new ConfigError('DASHBOARD_HOST', `${host} is reachable from other machines and the dashboard sends the master key to the browser: serve it behind an HTTPS proxy (TRUST_PROXY=true), or set DASHBOARD_ALLOW_INSECURE_HTTP=true`);
    }
  }
  const serverURL = config.publicServerURL ?? config.serverURL ?? `http://localhost:${config.port}${config.mountPath}`;
  return {
    host,
    port: dashboardPort,
    serverURL,
    graphQLServerURL: `${new URL(serverURL).origin}/graphql`,
    appId: config.appId,
    masterKey: config.masterKey,
    appName: 'Flash shop',
    production: config.production,
    user: { username: config.admin.username, password: config.admin.password },
    trustProxy: config.trustProxy,
    allowInsecureHTTP,
  };
}
