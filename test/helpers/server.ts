/**
 * A real shop server for one test file: `scripts/start.ts` in a child process on a free port, with
 * its own database on the shared test cluster, talked to over HTTP like an app would.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { DEFAULT_ADMIN } from '../../parse-config';
import { type SpawnedServer, spawnServer } from '../../scripts/server/spawn';

export const ROOT = path.resolve(__dirname, '..', '..');
export const APP_ID = 'shop-test';
export const MASTER_KEY = 'test-master-key-0123456789abcdef0123';
export const ADMIN = { username: DEFAULT_ADMIN.username, password: DEFAULT_ADMIN.password };

export interface Session {
  userId: string;
  username: string;
  sessionToken: string;
}

export interface CallOptions {
  session?: Session;
  master?: boolean;
  headers?: Record<string, string>;
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  /** The server process that answered (its X-Shop-Worker header: the worker's pid). */
  worker?: string;
}

/** A Parse error as a client sees it; `status` is the HTTP status. */
export class ParseFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
  }
}

export function productRef(objectId: string) {
  return { __type: 'Pointer', className: 'Product', objectId };
}

export function parseDate(date: Date) {
  return { __type: 'Date', iso: date.toISOString() };
}

/**
 * `mongodb://host:port/db?options` with the database part replaced by `name` (several hosts and
 * options kept). MongoDB creates a database on its first write, so nothing else is needed.
 */
export function mongoDatabaseURI(uri: string, name: string): string {
  const [base, options] = uri.split('?', 2);
  const scheme = base.indexOf('://') + 3;
  const slash = base.indexOf('/', scheme);
  const hosts = slash === -1 ? base : base.slice(0, slash);
  return `${hosts}/${name}${options === undefined ? '' : `?${options}`}`;
}

/**
 * Creates a fresh database and returns its URI: on the shared PostgreSQL test cluster, or, with
 * TEST_MONGODB_URI set (the MongoDB leg), a database of its own on that mongod.
 */
export async function createTestDatabase(): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  if (process.env.TEST_MONGODB_URI) return mongoDatabaseURI(process.env.TEST_MONGODB_URI, name);
  const clusterURI = inject('pgClusterURI');
  const client = new pg.Client({ connectionString: `${clusterURI}postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return `${clusterURI}${name}`;
}

export { spawnServer, type SpawnedServer };

/**
 * One request on a connection of its own. Reusing kept-alive connections let a test, on a loaded
 * machine, now and then send on a socket the server had already closed ("other side closed"),
 * which says nothing about the server under test.
 */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; worker?: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const worker = response.headers['x-shop-worker'] as string | undefined;
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), worker }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

export class TestServer {
  readonly apiURL: string;
  private adminSession?: Session;
  private userCount = 0;

  constructor(
    readonly spawned: SpawnedServer,
    readonly databaseURI: string,
  ) {
    this.apiURL = `http://127.0.0.1:${spawned.port}/parse`;
  }

  get port(): number {
    return this.spawned.port;
  }

  /** Process ids of the workers taking requests now, as the supervisor's log tells. */
  activeWorkers(): number[] {
    const active = new Set<number>();
    for (const line of this.spawned.output().split('\n')) {
      const ready = /^Worker (\d+) ready \(active\)/.exec(line) ?? /^Worker (\d+) took over/.exec(line);
      if (ready) active.add(Number(ready[1]));
      const died = /^Worker (\d+) \(\w+\) died/.exec(line);
      if (died) active.delete(Number(died[1]));
    }
    return [...active];
  }

  /** Waits until the supervisor has `count` active workers and a ready standby. */
  async allWorkersReady(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const standbys = () => [...this.spawned.output().matchAll(/^Worker (\d+) ready \(standby\)/gm)].length;
    const takeovers = () => [...this.spawned.output().matchAll(/^Worker (\d+) took over/gm)].length;
    while (this.activeWorkers().length < count || standbys() <= takeovers()) {
      if (Date.now() > deadline) throw new Error(`workers not ready in ${timeoutMs} ms:\n${this.spawned.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    // A worker that died or stopped during the file is worth a line in the test log, whatever the result.
    const trouble = this.spawned.output().split('\n').filter((line) => / died,|lapsed|taken over|Unhandled|Unexpected error/.test(line));
    if (trouble.length > 0) process.stderr.write(`server on port ${this.port}:\n${trouble.join('\n')}\n`);
    if (this.spawned.child.exitCode !== null) return;
    this.spawned.child.kill('SIGTERM');
    await this.spawned.exited;
  }

  /** One HTTP request to the Parse API; never throws for an HTTP error status. */
  async request<T = any>(method: string, urlPath: string, body?: unknown, options: CallOptions = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { 'X-Parse-Application-Id': APP_ID, ...options.headers };
    if (body !== undefined && !('Content-Type' in headers)) headers['Content-Type'] = 'application/json';
    if (options.session) headers['X-Parse-Session-Token'] = options.session.sessionToken;
    if (options.master) headers['X-Parse-Master-Key'] = MASTER_KEY;
    const { status, text, worker } = await send(`${this.apiURL}${urlPath}`, method, headers, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text, a test will say what it expected
    }
    return { status, body: parsed as T, worker };
  }

  /** One GraphQL request to /graphql (beside the Parse mount); never throws for an error status or GraphQL errors. */
  async graphql<T = any>(query: string, variables: Record<string, unknown> = {}, options: CallOptions = {}): Promise<HttpResult<{ data?: T; errors?: any[] }>> {
    const headers: Record<string, string> = { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json', ...options.headers };
    if (options.session) headers['X-Parse-Session-Token'] = options.session.sessionToken;
    if (options.master) headers['X-Parse-Master-Key'] = MASTER_KEY;
    const { status, text } = await send(`http://127.0.0.1:${this.port}/graphql`, 'POST', headers, JSON.stringify({ query, variables }));
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text, a test will say what it expected
    }
    return { status, body: parsed as { data?: T; errors?: any[] } };
  }

  /** Like request, but returns the body of a 2xx answer and throws ParseFailure otherwise. */
  async ok<T = any>(method: string, urlPath: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    const { status, body: answer } = await this.request<any>(method, urlPath, body, options);
    if (status >= 200 && status < 300) return answer as T;
    throw new ParseFailure(answer?.code ?? -1, answer?.error ?? String(answer), status);
  }

  /** Runs a cloud function; resolves to its result or rejects with ParseFailure. */
  async run<T = any>(name: string, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
    const body = await this.ok<{ result: T }>('POST', `/functions/${name}`, params, options);
    return body.result;
  }

  async signUp(prefix = 'user'): Promise<Session> {
    const username = `${prefix}-${process.pid}-${++this.userCount}-${randomBytes(3).toString('hex')}`;
    const body = await this.ok('POST', '/users', { username, password: 'password-123', email: `${username}@example.com` });
    return { userId: body.objectId, username, sessionToken: body.sessionToken };
  }

  async users(count: number, prefix = 'user'): Promise<Session[]> {
    const sessions: Session[] = [];
    for (let i = 0; i < count; i += 20) {
      const batch = Array.from({ length: Math.min(20, count - i) }, () => this.signUp(prefix));
      sessions.push(...(await Promise.all(batch)));
    }
    return sessions;
  }

  async admin(): Promise<Session> {
    if (!this.adminSession) {
      const body = await this.ok('POST', '/login', ADMIN);
      this.adminSession = { userId: body.objectId, username: ADMIN.username, sessionToken: body.sessionToken };
    }
    return this.adminSession;
  }

  /** Creates a product as the admin and, when `stock` is given, restocks it. */
  async product(fields: { name?: string; price?: number; stock?: number } & Record<string, unknown> = {}): Promise<string> {
    const { stock, ...rest } = fields;
    const admin = await this.admin();
    const created = await this.ok('POST', '/classes/Product', { name: `Product ${randomBytes(3).toString('hex')}`, price: 10, ...rest }, { session: admin });
    if (stock) await this.run('restock', { productId: created.objectId, quantity: stock }, { session: admin });
    return created.objectId;
  }

  /** Creates a flash sale as the admin; Dates become Parse Dates. Returns its id. */
  async sale(productId: string, fields: Record<string, unknown>): Promise<string> {
    const body = Object.fromEntries(
      Object.entries(fields).map(([key, value]) => [key, value instanceof Date ? { __type: 'Date', iso: value.toISOString() } : value]),
    );
    const created = await this.ok('POST', '/classes/FlashSale', { product: productRef(productId), ...body }, { session: await this.admin() });
    return created.objectId;
  }

  /** Runs a Parse job with the master key and waits for its result (jobs keep it as JSON text). */
  async job(name: string, params: Record<string, unknown> = {}): Promise<any> {
    const response = await fetch(`${this.apiURL}/jobs/${name}`, {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
    });
    const jobId = response.headers.get('x-parse-job-status-id');
    if (!jobId) throw new Error(`job ${name} did not start: ${response.status} ${await response.text()}`);
    for (let i = 0; i < 300; i++) {
      const status = await this.ok('GET', `/classes/_JobStatus/${jobId}`, undefined, { master: true });
      if (status.status === 'succeeded') return JSON.parse(status.message);
      if (status.status === 'failed') throw new Error(`job ${name} failed: ${status.message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${name} did not finish in 30 s`);
  }

  /** Rows of a class matching `where`, read with the master key (up to 1000). */
  /** Every row matching `where`, a page of Parse's 1,000 at a time. */
  async find(className: string, where: Record<string, unknown> = {}): Promise<any[]> {
    const rows: any[] = [];
    for (let skip = 0; ; skip += 1000) {
      const query = `where=${encodeURIComponent(JSON.stringify(where))}&limit=1000&skip=${skip}&order=objectId`;
      const page = (await this.ok('GET', `/classes/${className}?${query}`, undefined, { master: true })).results;
      rows.push(...page);
      if (page.length < 1000) return rows;
    }
  }

  async ordersOf(productId: string): Promise<any[]> {
    return this.find('Order', { product: productRef(productId) });
  }

  async inventoryRows(productId: string): Promise<any[]> {
    const where = encodeURIComponent(JSON.stringify({ product: { __type: 'Pointer', className: 'Product', objectId: productId } }));
    const body = await this.ok('GET', `/classes/Inventory?where=${where}`, undefined, { master: true });
    return body.results;
  }

  async stockOf(productId: string): Promise<number> {
    const rows = await this.inventoryRows(productId);
    if (rows.length !== 1) throw new Error(`expected one Inventory row for ${productId}, found ${rows.length}`);
    return rows[0].stock;
  }
}

/** Starts a server on its own fresh database (or on `databaseURI`, to restart one). `env` overrides the test defaults. */
export async function startTestServer(env: Record<string, string> = {}, databaseURI?: string): Promise<TestServer> {
  databaseURI ??= await createTestDatabase();
  const spawned = await spawnServer({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    APP_ID,
    MASTER_KEY,
    DATABASE_URI: databaseURI,
    // Tests sign up many users from 127.0.0.1; the rate-limit tests set their own low limits.
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_CHECKOUT_PER_MINUTE: '100000',
    RATE_LIMIT_APPLY_CODE_PER_MINUTE: '100000',
    LOG_LEVEL: 'error',
    ...env,
  });
  return new TestServer(spawned, databaseURI);
}

/** Awaits a promise that must fail as a Parse error, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<ParseFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ParseFailure) return error;
    throw error;
  }
  throw new Error('expected a Parse error, but the call succeeded');
}

/**
 * Counts the SQL statements the server runs in its database (pg_stat_statements), for "no query per
 * row" checks. The background sweeps (leases, recovery, expiry) and schema reloads run whenever
 * their timers fire, so their statements are left out.
 */
export async function statementCounter(server: { databaseURI: string }): Promise<{ count(): Promise<number>; statements(): Promise<Map<string, number>>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: server.databaseURI });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const statements = async () => {
    const { rows } = await client.query(
      `SELECT query, calls::int AS calls FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%'
         AND query NOT ILIKE '%"ProcessLease"%' AND query NOT ILIKE '%"CheckoutRecord"%' AND query NOT ILIKE '%"expiresAt"%'
         AND query NOT ILIKE '%"_SCHEMA"%'`,
    );
    return new Map(rows.map((row) => [row.query as string, row.calls as number]));
  };
  return {
    async count() {
      return [...(await statements()).values()].reduce((sum, calls) => sum + calls, 0);
    },
    /** Each counted statement's text with its calls so far: diff two of them to name what ran in between. */
    statements,
    close: () => client.end(),
  };
}

/** What ran between two `statements()` snapshots: how many statements, and each one with its calls, for a failure message. */
export function statementsBetween(before: Map<string, number>, after: Map<string, number>): { count: number; lines: string[] } {
  const ran = [...after].map(([query, calls]) => ({ query, calls: calls - (before.get(query) ?? 0) })).filter(({ calls }) => calls > 0);
  return {
    count: ran.reduce((sum, { calls }) => sum + calls, 0),
    lines: ran.map(({ query, calls }) => `${calls}x ${query.replace(/\s+/g, ' ').slice(0, 200)}`),
  };
}
