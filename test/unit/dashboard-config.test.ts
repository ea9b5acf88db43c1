import { describe, expect, test } from 'vitest';
import { ConfigError, DEFAULT_ADMIN, loadDashboardConfig } from '../../parse-config';

const OWN_ADMIN = { ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'a-long-password-1' };

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadDashboardConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('npm run dashboard settings', () => {
  test('default to loopback port 4040, the local server and the development admin', () => {
    expect(loadDashboardConfig({})).toEqual({
      host: '127.0.0.1',
      port: 4040,
      serverURL: 'http://localhost:1337/parse',
      graphQLServerURL: 'http://localhost:1337/graphql',
      appId: 'shop',
      masterKey: 'dev-master-key-change-me',
      appName: 'Flash shop',
      production: false,
      user: { username: DEFAULT_ADMIN.username, password: DEFAULT_ADMIN.password },
      trustProxy: false,
      allowInsecureHTTP: false,
    });
  });

  test('point the page at the public URL, then SERVER_URL, then PORT', () => {
    expect(loadDashboardConfig({ PORT: '8080' }).serverURL).toBe('http://localhost:8080/parse');
    expect(loadDashboardConfig({ SERVER_URL: 'http://10.0.0.5:1337/parse' }).serverURL).toBe('http://10.0.0.5:1337/parse');
    const behindProxy = loadDashboardConfig({ SERVER_URL: 'http://10.0.0.5:1337/parse', PUBLIC_SERVER_URL: 'https://shop.example.com/parse' });
    expect(behindProxy).toMatchObject({ serverURL: 'https://shop.example.com/parse', graphQLServerURL: 'https://shop.example.com/graphql' });
  });

  test.each([
    ['localhost', {}],
    ['::1', {}],
    ['127.0.0.2', {}],
    ['0.0.0.0', { ...OWN_ADMIN, TRUST_PROXY: 'true' }],
    ['10.1.2.3', { ...OWN_ADMIN, DASHBOARD_ALLOW_INSECURE_HTTP: 'true' }],
  ])('listen on %s with %j', (host, env) => {
    expect(loadDashboardConfig({ DASHBOARD_HOST: host, ...env }).host).toBe(host);
  });

  test.each([
    ['another machine with the public default admin', { DASHBOARD_HOST: '0.0.0.0', TRUST_PROXY: 'true' }, 'ADMIN_USERNAME', 'the development default is public'],
    ['another machine over plain HTTP', { DASHBOARD_HOST: '0.0.0.0', ...OWN_ADMIN }, 'DASHBOARD_HOST', 'HTTPS proxy (TRUST_PROXY=true), or set DASHBOARD_ALLOW_INSECURE_HTTP=true'],
    ['a port out of range', { DASHBOARD_PORT: '70000' }, 'DASHBOARD_PORT', 'must be from 0 to 65535'],
    ['a flag that is not true or false', { DASHBOARD_ALLOW_INSECURE_HTTP: 'yes' }, 'DASHBOARD_ALLOW_INSECURE_HTTP', ''],
    ['a bad server setting', { APP_ID: 'bad id!' }, 'APP_ID', 'must be 1 to 64'],
  ])('refuse %s, naming the variable', (_what, env, variable, rule) => {
    const error = refusal(env);
    expect(error.variable).toBe(variable);
    expect(error.rule).toContain(rule);
  });
});
