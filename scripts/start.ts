/** `npm start`: reads the environment, starts everything, and says where to connect. */
import { ConfigError, loadConfig } from '../parse-config';

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

  // Loaded after the settings are checked, so a bad setting is reported at once.
  const { startShopServer } = require('./server/app') as typeof import('./server/app');
  const server = await startShopServer(config);
  const lines = [
    `Shop backend listening on http://127.0.0.1:${server.port} (${config.production ? 'production' : 'development'})`,
    `  REST API:    ${server.apiURL}   (X-Parse-Application-Id: ${config.appId})`,
    `  GraphQL:     ${server.graphQLURL}`,
    `  Live Query:  ${server.liveQueryURL}`,
    `  Health:      ${server.apiURL}/health`,
    `  Database:    ${config.databaseURI ? 'DATABASE_URI' : `embedded PostgreSQL in ${config.dataDir}`}`,
  ];
  const password = server.admin.isDefault ? server.admin.password : '(ADMIN_PASSWORD)';
  lines.push(`  Admin login: username "${server.admin.username}", password "${password}"`);
  lines.push(`    curl -X POST ${server.apiURL}/login -H 'X-Parse-Application-Id: ${config.appId}' \\`);
  lines.push(`      -H 'Content-Type: application/json' -d '{"username":"${server.admin.username}","password":"${password}"}'`);
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

main().catch((error) => {
  console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
