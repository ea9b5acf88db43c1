/**
 * `npm start`: reads the environment, starts the supervisor (which owns the database and the
 * server processes), and says where to connect. In a server process it starts that process.
 */
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from '../parse-config';
import type { WorkerRole } from './server/worker';

async function supervise(config: ReturnType<typeof loadConfig>): Promise<void> {
  // Loaded after the settings are checked, so a bad setting is reported at once.
  const { startSupervisor } = require('./server/supervisor') as typeof import('./server/supervisor');
  const server = await startSupervisor(config);
  const publicHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const apiURL = `http://${publicHost}:${server.port}${config.mountPath}`;
  const lines = [
    `Shop backend listening on http://127.0.0.1:${server.port} (${config.production ? 'production' : 'development'}, ${config.workers} worker${config.workers === 1 ? '' : 's'} and a standby)`,
    `  Storefront:  http://${publicHost}:${server.port}/   (the demo shop: open it in a browser)`,
    `  REST API:    ${apiURL}   (X-Parse-Application-Id: ${config.appId})`,
    `  GraphQL:     http://${publicHost}:${server.port}/graphql`,
    `  Live Query:  ws://${publicHost}:${server.port}${config.mountPath}`,
    `  Health:      ${apiURL}/health`,
    `  Database:    ${config.databaseURI ? 'DATABASE_URI' : `embedded PostgreSQL in ${config.dataDir}`}`,
  ];
  const password = config.admin.isDefault ? config.admin.password : '(ADMIN_PASSWORD)';
  lines.push(`  Admin login: username "${config.admin.username}", password "${password}"`);
  lines.push(`    curl -X POST ${apiURL}/login -H 'X-Parse-Application-Id: ${config.appId}' \\`);
  lines.push(`      -H 'Content-Type: application/json' -d '{"username":"${config.admin.username}","password":"${password}"}'`);
  if (server.demoLoaded) lines.push('  Demo catalogue loaded: 10 products, a live and an upcoming flash sale, coupon WELCOME5, code SAVE10.');
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    server
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error('Shutdown failed', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (cluster.isPrimary) return supervise(config);
  const { runWorker } = require('./server/worker') as typeof import('./server/worker');
  await runWorker(config, process.env.SHOP_WORKER_ROLE as WorkerRole);
}

main().catch((error) => {
  console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
