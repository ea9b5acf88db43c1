/**
 * `npm run dashboard`: Parse Dashboard against the running shop server, with the shop's admin account
 * as its login. Listens on 127.0.0.1:4040 unless DASHBOARD_HOST / DASHBOARD_PORT say otherwise.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigError, type DashboardConfig, loadDashboardConfig } from '../parse-config';

/** The dashboard on an express app of its own: mounted inside a Router it loses its mount path (parse-dashboard #698). */
export function dashboardApp(config: DashboardConfig): express.Express {
  // Loaded here, not at the top: it asks the npm registry for its latest version as it loads (and
  // quietly gives up without a network), which a bad setting should not wait for.
  const ParseDashboard = require('parse-dashboard') as (settings: object, options: object) => express.Express;
  const dashboard = ParseDashboard(
    {
      apps: [
        {
          appId: config.appId,
          masterKey: config.masterKey,
          serverURL: config.serverURL,
          graphQLServerURL: config.graphQLServerURL,
          appName: config.appName,
          production: config.production,
        },
      ],
      users: [{ user: config.user.username, pass: config.user.password }],
      trustProxy: config.trustProxy,
    },
    { allowInsecureHTTP: config.allowInsecureHTTP },
  );
  const app = express();
  app.use('/', dashboard);
  return app;
}

async function serverAnswers(serverURL: string): Promise<boolean> {
  try {
    return (await fetch(`${serverURL}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  let config: DashboardConfig;
  try {
    config = loadDashboardConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Cannot start the dashboard: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const server = http.createServer(dashboardApp(config));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(
    [
      `Parse Dashboard listening on http://${shownHost}:${port}/`,
      `  Shop server: ${config.serverURL} (app ${config.appId})`,
      `  Log in as the shop's admin: username "${config.user.username}" (ADMIN_USERNAME / ADMIN_PASSWORD)`,
    ].join('\n'),
  );
  if (!(await serverAnswers(config.serverURL))) {
    console.log(`  The shop server does not answer at ${config.serverURL} yet: start it with npm start (or set SERVER_URL).`);
  }
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // the dashboard's page keeps connections open
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`Cannot start the dashboard: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
