/**
 * `npm run dashboard` against a running shop server: it starts, its login page answers, the shop's
 * admin account logs in, and the configuration it hands the page points at the shop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { waitForOutput } from '../../scripts/server/spawn';
import { ADMIN, APP_ID, MASTER_KEY, ROOT, type TestServer, startTestServer } from '../helpers/server';

let server: TestServer;
let dashboard: ChildProcess;
let output: () => string;
let base: string;

async function startDashboard(env: Record<string, string>): Promise<string> {
  dashboard = spawn('npm', ['run', 'dashboard'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm and the node under it stop together
  });
  const started = await waitForOutput(dashboard, /Parse Dashboard listening on (http:\/\/127\.0\.0\.1:\d+)\//, 30_000, 'dashboard');
  output = started.output;
  return started.match[1];
}

/** The session cookie a response sets, as a Cookie header. */
function cookieOf(response: Response, previous = ''): string {
  const set = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  return set.length > 0 ? set.join('; ') : previous;
}

beforeAll(async () => {
  server = await startTestServer();
  base = await startDashboard({ SERVER_URL: server.apiURL, APP_ID, MASTER_KEY, DASHBOARD_PORT: '0' });
});
afterAll(async () => {
  if (dashboard?.pid && dashboard.exitCode === null) process.kill(-dashboard.pid, 'SIGTERM');
  await server?.stop();
});

describe('npm run dashboard', () => {
  test('says where it listens and which server it manages', () => {
    expect(output()).toContain(`Shop server: ${server.apiURL} (app ${APP_ID})`);
    expect(output()).toContain(`Log in as the shop's admin: username "${ADMIN.username}"`);
    expect(output()).not.toContain(MASTER_KEY);
    expect(output()).not.toContain(ADMIN.password);
  });

  test('sends visitors to its login page, which answers with the dashboard', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/login');
    const login = await fetch(`${base}/login`);
    expect(login.status).toBe(200);
    const html = await login.text();
    expect(html).toContain('<title>Parse Dashboard</title>');
    expect(html).toContain('bundles/login.bundle.js');
    expect((await fetch(`${base}/bundles/login.bundle.js`)).status).toBe(200);
  });

  test('hands out the app and its master key only after the admin logs in', async () => {
    expect((await fetch(`${base}/parse-dashboard-config.json`)).status).toBe(401);

    const loginPage = await fetch(`${base}/login`);
    let cookie = cookieOf(loginPage);
    const csrf = JSON.parse(/<script id="csrf" type="application\/json">(.*?)<\/script>/.exec(await loginPage.text())![1]);
    const logIn = (password: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
        body: new URLSearchParams({ username: ADMIN.username, password, _csrf: csrf }).toString(),
      });

    const wrong = await logIn('not-the-password');
    expect(wrong.status).toBe(302);
    expect(wrong.headers.get('location')).toBe('/login');
    cookie = cookieOf(wrong, cookie);

    const right = await logIn(ADMIN.password);
    expect(right.status).toBe(302);
    expect(right.headers.get('location')).toBe('/apps');
    cookie = cookieOf(right, cookie);

    const settings = await fetch(`${base}/parse-dashboard-config.json`, { headers: { Cookie: cookie } });
    expect(settings.status).toBe(200);
    const body = (await settings.json()) as { apps: unknown[]; agent?: unknown };
    expect(body.apps).toEqual([
      {
        appId: APP_ID,
        masterKey: MASTER_KEY,
        serverURL: server.apiURL,
        graphQLServerURL: `http://127.0.0.1:${server.port}/graphql`,
        appName: 'Flash shop',
        production: false,
      },
    ]);
    expect(body.agent).toBeUndefined();

    const apps = await fetch(`${base}/apps`, { headers: { Cookie: cookie } });
    expect(apps.status).toBe(200);
    expect(await apps.text()).toContain('bundles/dashboard.bundle.js');

    // What the page does next, from this machine: read the schema with the master key.
    const schemas = await server.request('GET', '/schemas', undefined, { master: true });
    expect(schemas.status).toBe(200);
    expect(schemas.body.results.map((c: { className: string }) => c.className)).toContain('Product');
  });
});
