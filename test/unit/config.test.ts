import { describe, expect, test } from 'vitest';
import { ConfigError, DEFAULT_ADMIN, DEFAULT_MASTER_KEY, loadConfig } from '../../parse-config';

function problem(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('works with no variables at all (development defaults)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      production: false,
      port: 1337,
      mountPath: '/parse',
      appId: 'shop',
      masterKey: DEFAULT_MASTER_KEY,
      databaseURI: undefined,
      paymentMode: 'auto',
      pendingOrderTtlMs: 15 * 60_000,
      currency: 'USD',
      loadDemoData: true,
      admin: { username: 'admin', isDefault: true },
      loginLockout: { attempts: 5, minutes: 5 },
      masterKeyIps: ['127.0.0.1', '::1'],
    });
    expect(config.dataDir.endsWith('.data')).toBe(true);
  });

  test('reads every setting', () => {
    const config = loadConfig({
      PORT: '8080',
      PARSE_MOUNT: '/api',
      APP_ID: 'myshop',
      MASTER_KEY: 'k',
      DATABASE_URI: 'mongodb://localhost/shop',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PAYMENT_MODE: 'manual',
      PENDING_ORDER_TTL_MINUTES: '0.05',
      CURRENCY: 'EUR',
      ADMIN_USERNAME: 'boss',
      ADMIN_PASSWORD: 'long-enough',
      RATE_LIMIT_AUTH_PER_MINUTE: '7',
      DEMO_DATA: 'false',
    });
    expect(config).toMatchObject({
      port: 8080,
      mountPath: '/api',
      appId: 'myshop',
      databaseURI: 'mongodb://localhost/shop',
      redisURL: 'redis://127.0.0.1:6379',
      paymentMode: 'manual',
      pendingOrderTtlMs: 3000,
      currency: 'EUR',
      admin: { username: 'boss', password: 'long-enough', isDefault: false },
      rateLimits: { authPerMinute: 7 },
      loadDemoData: false,
    });
  });

  test('reads the login lockout and the master key addresses', () => {
    expect(loadConfig({ LOGIN_LOCKOUT_ATTEMPTS: '3', LOGIN_LOCKOUT_MINUTES: '0.05', MASTER_KEY_IPS: ' 10.0.0.0/8, ::1 ,192.168.1.7' })).toMatchObject({
      loginLockout: { attempts: 3, minutes: 0.05 },
      masterKeyIps: ['10.0.0.0/8', '::1', '192.168.1.7'],
    });
  });

  test('the development admin password passes the password rule', () => {
    expect(DEFAULT_ADMIN.password.length).toBeGreaterThanOrEqual(8);
    expect(DEFAULT_ADMIN.password).not.toContain(DEFAULT_ADMIN.username);
  });

  test('empty strings count as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URI: '' })).toMatchObject({ port: 1337, databaseURI: undefined });
  });

  test.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '1.5' }, 'PORT'],
    [{ PENDING_ORDER_TTL_MINUTES: '-1' }, 'PENDING_ORDER_TTL_MINUTES'],
    [{ PENDING_ORDER_TTL_MINUTES: '0' }, 'PENDING_ORDER_TTL_MINUTES'],
    [{ PENDING_ORDER_TTL_MINUTES: 'soon' }, 'PENDING_ORDER_TTL_MINUTES'],
    [{ DATABASE_URI: 'mysql://localhost/shop' }, 'DATABASE_URI'],
    [{ DATABASE_URI: 'shop.db' }, 'DATABASE_URI'],
    [{ PAYMENT_MODE: 'later' }, 'PAYMENT_MODE'],
    [{ CURRENCY: 'usd' }, 'CURRENCY'],
    [{ PARSE_MOUNT: 'parse' }, 'PARSE_MOUNT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ SERVER_URL: 'not a url' }, 'SERVER_URL'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_USERNAME: 'boss' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_PASSWORD: 'long-enough' }, 'ADMIN_USERNAME'],
    [{ RATE_LIMIT_AUTH_PER_MINUTE: '0' }, 'RATE_LIMIT_AUTH_PER_MINUTE'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ LOGIN_LOCKOUT_ATTEMPTS: '0' }, 'LOGIN_LOCKOUT_ATTEMPTS'],
    [{ LOGIN_LOCKOUT_ATTEMPTS: '2.5' }, 'LOGIN_LOCKOUT_ATTEMPTS'],
    [{ LOGIN_LOCKOUT_ATTEMPTS: 'many' }, 'LOGIN_LOCKOUT_ATTEMPTS'],
    [{ LOGIN_LOCKOUT_MINUTES: '0' }, 'LOGIN_LOCKOUT_MINUTES'],
    [{ LOGIN_LOCKOUT_MINUTES: '-5' }, 'LOGIN_LOCKOUT_MINUTES'],
    [{ LOGIN_LOCKOUT_MINUTES: 'soon' }, 'LOGIN_LOCKOUT_MINUTES'],
    [{ MASTER_KEY_IPS: 'localhost' }, 'MASTER_KEY_IPS'],
    [{ MASTER_KEY_IPS: '10.0.0.0/8,300.1.1.1' }, 'MASTER_KEY_IPS'],
    [{ MASTER_KEY_IPS: '10.0.0.1/x' }, 'MASTER_KEY_IPS'],
    [{ MASTER_KEY_IPS: ' , ' }, 'MASTER_KEY_IPS'],
    [{ ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'i-am-the-boss' }, 'ADMIN_PASSWORD'],
  ])('%j stops start-up naming %s', (env, variable) => {
    const error = problem(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  describe('production', () => {
    test('refuses an admin password that breaks the password rule, naming ADMIN_PASSWORD', () => {
      const error = problem({ NODE_ENV: 'production', MASTER_KEY: 'x'.repeat(32), ADMIN_USERNAME: 'owner', ADMIN_PASSWORD: 'shop-owner-2026' });
      expect(error.variable).toBe('ADMIN_PASSWORD');
      expect(error.message).toContain('must not contain the username');
    });

    const strongKey = 'x'.repeat(32);

    test('refuses the default master key', () => {
      expect(problem({ NODE_ENV: 'production' }).variable).toBe('MASTER_KEY');
    });

    test('refuses a master key shorter than 32 characters', () => {
      expect(problem({ NODE_ENV: 'production', MASTER_KEY: 'x'.repeat(31) }).variable).toBe('MASTER_KEY');
    });

    const admin = { ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'a-real-secret' };

    test('never loads demo data', () => {
      expect(loadConfig({ NODE_ENV: 'production', MASTER_KEY: strongKey, ...admin }).loadDemoData).toBe(false);
      expect(problem({ NODE_ENV: 'production', MASTER_KEY: strongKey, ...admin, DEMO_DATA: 'true' }).variable).toBe('DEMO_DATA');
    });

    test('requires an admin account: there is no default in production', () => {
      expect(problem({ NODE_ENV: 'production', MASTER_KEY: strongKey }).variable).toBe('ADMIN_USERNAME');
    });

    test('refuses half an admin account or the development admin password', () => {
      expect(problem({ NODE_ENV: 'production', MASTER_KEY: strongKey, ADMIN_USERNAME: 'boss' }).variable).toBe('ADMIN_PASSWORD');
      expect(problem({ NODE_ENV: 'production', MASTER_KEY: strongKey, ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: DEFAULT_ADMIN.password }).variable).toBe(
        'ADMIN_PASSWORD',
      );
      expect(loadConfig({ NODE_ENV: 'production', MASTER_KEY: strongKey, ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'a-real-secret' }).admin).toMatchObject({
        username: 'boss',
      });
    });
  });

  test('tests never load demo data', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).loadDemoData).toBe(false);
  });
});
