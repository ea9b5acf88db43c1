/**
 * The self-hosted server: one express app on one port with Parse Server (REST) at PARSE_MOUNT,
 * GraphQL at /graphql and Live Query on the same HTTP server, over the configured database.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import ParseServer, { ParseGraphQLServer } from 'parse-server';
import { PASSWORD_MIN_LENGTH, type ShopConfig } from '../../parse-config';
import { ensureUniqueIndexes } from '../../cloud/setup/unique-indexes';
import { ensureAdminUser } from './admin-user';
import { bodyGuard } from './body-guard';
import { graphQLConfig } from './graphql-config';
import { loadSchemaDefinitions } from './schema-definitions';
import { SHOP_TYPE_DEFS } from './graphql-schema';
import { graphQLGuard, jsonErrors } from './graphql-guard';
import { logUnhandledRejections } from './process-guard';
import { BODY_LIMIT, declaredLengthLimit, graphQLBody } from './body-limit';
import { ShopLoggerAdapter } from './logger';
import { shareDefinitionChanges } from './definitions-channel';
import { boundRedisWaits, buildParseServerOnce } from './parse-rate-limits';
import { rateLimitMiddleware, rateLimitRules } from './rate-limits';
import { orderLiveQueryEvents, widenSessionCache } from './live-query-internals';
import { ShopWebSocketAdapter, WORKER_HEADER, workerName } from './live-query-socket';
import { storefront } from './storefront';
import { seedDemoCatalogue } from '../seed-demo';

/** How long a stopping process waits for requests in flight before it closes their connections. */
const DRAIN_MS = 10_000;

export const LIVE_QUERY_CLASSES = ['Inventory', 'FlashSale', 'Product', 'Order'];

/**
 * Live Query checks each event against every subscriber's session: this many sessions per process
 * stay cached (Parse's own room is 500). A session that ends (log-out) may still receive events
 * for up to SESSION_CACHE_MS; its subscription was allowed when it was made.
 */
const LIVE_QUERY_SESSIONS = 20_000;
/**
 * How long a process trusts a session (and a user's roles) it has looked up, in the API (Parse's
 * cacheTTL, 5 s by default) and in Live Query. Parse's 5 s made every buyer's first request of a
 * drop two queries (_Session, _User) before its checkout's own. The process that ends a session
 * forgets it at once; another process may still accept it for up to this long.
 */
const SESSION_CACHE_MS = 30_000;

export interface RunningServer {
  port: number;
  /** http://host:port/parse */
  apiURL: string;
  graphQLURL: string;
  liveQueryURL: string;
  admin: ShopConfig['admin'];
  demoLoaded: boolean;
  /** Starts taking requests (a standby process is fully started but not yet listening). */
  listen(): Promise<void>;
  /** Stops taking new requests, lets those in flight finish, then closes Parse Server's connections. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Listen at once (the first process, which must answer the calls Parse makes to itself at start). */
  listenNow: boolean;
  /** Ensure the admin account and load the demo catalogue: done once, by the first process. */
  setUp: boolean;
  /** The folder of the database's Unix socket, connected to instead of databaseURI's host and port. */
  databaseSocketDir?: string;
}

/** The cloud code entry: TypeScript when running from source (tsx), JavaScript when built. */
function cloudEntry(): string {
  const compiled = __filename.endsWith('.js');
  return path.join(__dirname, '..', '..', 'cloud', compiled ? 'main.js' : 'main.ts');
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Parse Server's storage adapters for `databaseURI`, its PostgreSQL reached through the Unix socket
 * in `socketDir`. Parse reads the URI's host with new URL(), which takes no folder, so the folder
 * goes in the adapter's options (Parse's own `databaseOptions` would pass it on too, but Parse logs
 * "Invalid key(s)" for it at every start). An explicit database adapter needs an explicit files
 * adapter: the one Parse would make (uploads are off, see fileUpload).
 */
function socketAdapters(databaseURI: string, socketDir: string): { databaseAdapter: unknown; filesAdapter: unknown } {
  // The host's own copy: this runs in the process that starts Parse Server, never in cloud code.
  const { PostgresStorageAdapter } = require('parse-server/lib/Adapters/Storage/Postgres/PostgresStorageAdapter') as {
    PostgresStorageAdapter: new (options: { uri: string; collectionPrefix: string; databaseOptions: { host: string } }) => unknown;
  };
  const { GridFSBucketAdapter } = require('parse-server/lib/Adapters/Files/GridFSBucketAdapter') as { GridFSBucketAdapter: new (uri: string) => unknown };
  return {
    databaseAdapter: new PostgresStorageAdapter({ uri: databaseURI, collectionPrefix: '', databaseOptions: { host: socketDir } }),
    filesAdapter: new GridFSBucketAdapter(databaseURI),
  };
}

/**
 * Starts Parse Server, GraphQL and Live Query in this process on `databaseURI`, on the port the
 * supervisor chose (config.port, never 0 here: every process of one server shares it).
 */
export async function startShopServer(config: ShopConfig, databaseURI: string, options: StartOptions): Promise<RunningServer> {
  logUnhandledRejections();
  const app = express();
  if (config.trustProxy) app.set('trust proxy', true);
  app.use((_req, res, next) => {
    res.setHeader(WORKER_HEADER, workerName());
    next();
  });
  const httpServer = http.createServer(app);
  // Keep idle connections longer than clients and load balancers do (60 s is common), so the server
  // never closes one just as a client sends its next request on it (the client would see a reset).
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const port = config.port;
  let listening = false;
  const startListening = async () => {
    if (listening) return;
    try {
      await listen(httpServer, port, config.host);
      listening = true;
    } catch (error) {
      throw new Error(`PORT: cannot listen on ${config.host}:${port} (${(error as Error).message})`);
    }
  };
  if (options.listenNow) await startListening();
  const localURL = `http://127.0.0.1:${port}${config.mountPath}`;

  const parseServer = new ParseServer({
    appId: config.appId,
    masterKey: config.masterKey,
    serverURL: config.serverURL ?? localURL,
    publicServerURL: config.publicServerURL,
    ...(options.databaseSocketDir ? socketAdapters(databaseURI, options.databaseSocketDir) : { databaseURI }),
    cloud: cloudEntry(),
    schema: {
      definitions: loadSchemaDefinitions(),
      strict: true,
      lockSchemas: true,
      deleteExtraFields: false,
      recreateModifiedFields: false,
    },
    allowClientClassCreation: false,
    enforcePrivateUsers: true,
    // A find asking for more is served this many rows; `skip` is capped in cloud/triggers/find-limits.ts.
    maxLimit: 1000,
    maxUploadSize: BODY_LIMIT,
    cacheTTL: SESSION_CACHE_MS,
    accountLockout: {
      threshold: config.loginLockout.attempts,
      duration: config.loginLockout.minutes,
      unlockOnPasswordReset: true,
    },
    // Applies to master-key saves too (the admin account at start): parse-config.ts checks ADMIN_PASSWORD first.
    passwordPolicy: {
      validatorCallback: (password: unknown) => typeof password === 'string' && password.length >= PASSWORD_MIN_LENGTH,
      validationError: `password: must be at least ${PASSWORD_MIN_LENGTH} characters and must not contain the username`,
      doNotAllowUsername: true,
      resetPasswordSuccessOnInvalidEmail: true,
    },
    security: { enableCheck: true, enableCheckLog: false },
    liveQuery: { classNames: LIVE_QUERY_CLASSES, redisURL: config.redisURL },
    rateLimit: rateLimitRules(config),
    // Counts the calls no rule's path can see (GraphQL, POST /classes/Order) against the rule they stand for.
    requestContextMiddleware: rateLimitMiddleware(config.appId, '/graphql'),
    idempotencyOptions: { paths: ['functions/checkout', 'classes/Order'], ttl: 300 },
    logLevel: config.logLevel,
    // A refusal (4001, 142, ...) is an answer, not a fault; cloud/edge/report.ts logs real errors.
    logLevels: { cloudFunctionError: 'info', triggerBeforeError: 'info' },
    loggerAdapter: ShopLoggerAdapter,
    logsFolder: null,
    verifyServerUrl: false,
    // Cloud code's own master-key calls run in process (directAccess), so no address applies to them.
    masterKeyIps: config.masterKeyIps,
    // Parse Server 9 announces new defaults for these; we choose now, so upgrades change nothing.
    readOnlyMasterKeyIps: ['127.0.0.1', '::1'],
    allowAggregationForReadOnlyMasterKey: false,
    // The shop stores no files (images are URLs): uploads need the master key.
    fileUpload: { enableForPublic: false, enableForAnonymousUser: false, enableForAuthenticatedUser: false, allowedFileUrlDomains: [] },
    pages: { encodePageParamHeaders: true },
    installation: { duplicateDeviceTokenActionEnforceAuth: true },
    protectedFieldsOwnerExempt: true, // a user sees its own email
    protectedFieldsTriggerExempt: true,
    protectedFieldsSaveResponseExempt: false,
    requestComplexity: {
      includeDepth: 10,
      includeCount: 100,
      subqueryDepth: 10,
      queryDepth: 10,
      graphQLDepth: 20,
      graphQLFields: 200,
      batchRequestLimit: 100,
    },
    // The bundled option types mark every option required; the runtime validates what we pass.
  } as never);

  let stopSharingDefinitions: () => Promise<void> = async () => {};
  const stopAll = async () => {
    if (listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await stopSharingDefinitions();
    await parseServer.handleShutdown?.().catch(() => undefined);
  };

  try {
    await parseServer.start();
    // Parse's security check reads the database password from the storage adapter's `_uri`, which only
    // the MongoDB adapter keeps: on PostgreSQL its "Secure database password" check failed whatever the password.
    const ParseConfig = require('parse-server/lib/Config') as { get(appId: string): { database: { adapter: { _uri?: string } } } };
    ParseConfig.get(config.appId).database.adapter._uri ??= databaseURI;
    await ensureUniqueIndexes();
    app.use(config.mountPath, declaredLengthLimit(), ...bodyGuard(), parseServer.app);
    if (config.redisURL) boundRedisWaits(config.appId); // the rules exist once Parse built its app
    buildParseServerOnce();
    // Every process forgets a product or sale it cached when another process saves it.
    if (config.redisURL) stopSharingDefinitions = await shareDefinitionChanges(config.redisURL, config.appId);
    const graphQL = new ParseGraphQLServer(parseServer, { graphQLPath: '/graphql', graphQLCustomTypeDefs: SHOP_TYPE_DEFS });
    app.use('/graphql', declaredLengthLimit(), graphQLBody());
    await graphQL.setGraphQLConfig(graphQLConfig(loadSchemaDefinitions()));
    app.use('/graphql', graphQLGuard());
    graphQL.applyGraphQL(app);
    // The demo storefront: after the API routes, and only files of public/, so it shadows neither.
    app.use(storefront(config));
    app.use(jsonErrors());
    orderLiveQueryEvents();
    const liveQuery = await ParseServer.createLiveQueryServer(httpServer, {
      appId: config.appId,
      masterKey: config.masterKey,
      serverURL: config.serverURL ?? localURL,
      // The subscriber side; the publisher side is the liveQuery.redisURL above. Without both, events
      // silently stay inside the process that made them.
      redisURL: config.redisURL,
      wssAdapter: ShopWebSocketAdapter,
      cacheTimeout: SESSION_CACHE_MS,
    } as never, {} as never);
    widenSessionCache(liveQuery, LIVE_QUERY_SESSIONS, SESSION_CACHE_MS);
    const stop = async () => {
      await (liveQuery as unknown as { shutdown(): Promise<void> }).shutdown().catch(() => undefined);
      // Idle keep-alive sockets would hold close() open; requests in flight get DRAIN_MS to finish.
      httpServer.closeIdleConnections();
      const idle = setInterval(() => httpServer.closeIdleConnections(), 100);
      const deadline = setTimeout(() => httpServer.closeAllConnections(), DRAIN_MS);
      try {
        await stopAll();
      } finally {
        clearInterval(idle);
        clearTimeout(deadline);
      }
    };
    let demoLoaded = false;
    if (options.setUp) {
      await ensureAdminUser(config.admin);
      demoLoaded = config.loadDemoData ? await seedDemoCatalogue() : false;
    }

    const publicHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
    return {
      port,
      apiURL: `http://${publicHost}:${port}${config.mountPath}`,
      graphQLURL: `http://${publicHost}:${port}/graphql`,
      liveQueryURL: `ws://${publicHost}:${port}${config.mountPath}`,
      admin: config.admin,
      demoLoaded,
      listen: startListening,
      stop,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
