/**
 * `npm start` as a new user runs it: no DATABASE_URI, so an embedded PostgreSQL in an empty data
 * folder, the demo catalogue, clean shutdown, restart, and recovery from a killed run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { isAlive, runningClusterURI } from '../../scripts/server/embedded-postgres';
import { APP_ID, MASTER_KEY, spawnServer, type SpawnedServer } from '../helpers/server';

let dataDir: string;
let running: SpawnedServer | undefined;

const env = () => ({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, APP_ID, MASTER_KEY, LOG_LEVEL: 'error' });

async function get(port: number, urlPath: string, master = false) {
  const headers: Record<string, string> = { 'X-Parse-Application-Id': APP_ID };
  if (master) headers['X-Parse-Master-Key'] = MASTER_KEY;
  const response = await fetch(`http://127.0.0.1:${port}/parse${urlPath}`, { headers });
  return { status: response.status, body: (await response.json()) as any };
}

function postgresPid(): number {
  return Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function countOf(port: number, className: string): Promise<number> {
  return (await get(port, `/classes/${className}?count=1&limit=0&where=${encodeURIComponent('{"objectId":{"$exists":true}}')}`, true)).body.count;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'shop-start-'));
  await chmod(dataDir, 0o755);
});

afterAll(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start on the embedded database', () => {
  test('an empty data folder serves /parse/health within 30 s, with the demo catalogue', async () => {
    const started = Date.now();
    running = await spawnServer(env(), 30_000);
    const health = await get(running.port, '/health');
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    expect(Date.now() - started).toBeLessThan(30_000);

    const output = running.output();
    expect(output).toContain(`REST API:    http://127.0.0.1:${running.port}/parse`);
    expect(output).toContain(`GraphQL:     http://127.0.0.1:${running.port}/graphql`);
    expect(output).toContain(`Live Query:  ws://127.0.0.1:${running.port}/parse`);
    expect(output).toContain('Admin login: username "admin", password "shop-owner-password"');
    expect(output).toContain('Demo catalogue loaded');

    expect(await countOf(running.port, 'Product')).toBe(10);
    expect(await countOf(running.port, 'Inventory')).toBe(10);
    expect(await countOf(running.port, 'FlashSale')).toBe(2);
    expect(await countOf(running.port, 'Coupon')).toBe(1);
    expect(await countOf(running.port, 'DiscountCode')).toBe(1);
    const inventory = await get(running.port, '/classes/Inventory?limit=20');
    expect(inventory.body.results.every((row: any) => row.stock > 0)).toBe(true);
  });

  test('GraphQL answers on the same port', async () => {
    const response = await fetch(`http://127.0.0.1:${running!.port}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Parse-Application-Id': APP_ID },
      body: JSON.stringify({ query: '{ health }' }),
    });
    expect(await response.json()).toEqual({ data: { health: true } });
  });

  test('the server reaches its embedded database through the Unix socket, not loopback TCP', async () => {
    const client = new pg.Client({ connectionString: runningClusterURI(dataDir, 'postgres') });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT count(*) FILTER (WHERE client_addr IS NULL)::int AS socket, count(*) FILTER (WHERE client_addr IS NOT NULL)::int AS tcp
         FROM pg_stat_activity WHERE datname = 'shop' AND backend_type = 'client backend'`,
      );
      expect(rows[0].socket).toBeGreaterThan(0);
      expect(rows[0].tcp).toBe(0);
    } finally {
      await client.end();
    }
    // Parse logs options it does not know at start; the socket's folder is not one of them.
    expect(running!.output()).not.toMatch(/Invalid key\(s\)/);
  });

  test('SIGINT stops the server and its database cleanly', async () => {
    const pgPid = postgresPid();
    expect(isAlive(pgPid)).toBe(true);
    running!.child.kill('SIGINT');
    expect(await running!.exited).toBe(0);
    for (let i = 0; i < 50 && isAlive(pgPid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pgPid)).toBe(false);
  });

  test('a restart keeps the data and does not load the demo catalogue twice', async () => {
    running = await spawnServer(env(), 30_000);
    expect(running.output()).not.toContain('Demo catalogue loaded');
    expect(await countOf(running.port, 'Product')).toBe(10);
  });

  test('after the server is killed with SIGKILL, the next start still works', async () => {
    const orphan = postgresPid();
    running!.child.kill('SIGKILL');
    await running!.exited;
    expect(isAlive(orphan)).toBe(true); // the database outlives a killed server
    running = await spawnServer(env(), 30_000);
    expect((await get(running.port, '/health')).status).toBe(200);
    expect(await countOf(running.port, 'Product')).toBe(10);
    expect(isAlive(orphan)).toBe(false);
  });

  test('a second server on the same data folder is refused with a clear message', async () => {
    const second = spawnServer(env(), 30_000);
    await expect(second).rejects.toThrow(/Another server \(process \d+\) is using the database/);
    expect((await get(running!.port, '/health')).status).toBe(200);
  });
});

describe('bad configuration stops start-up', () => {
  test.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ NODE_ENV: 'production' }, 'MASTER_KEY'],
    [{ PENDING_ORDER_TTL_MINUTES: '-1' }, 'PENDING_ORDER_TTL_MINUTES'],
    [{ DATABASE_URI: 'mysql://localhost/shop' }, 'DATABASE_URI'],
  ])('%j exits non-zero naming %s', async (bad, variable) => {
    const { MASTER_KEY: _omit, ...rest } = env();
    const attempt = spawnServer({ ...rest, ...bad }, 30_000);
    const error = (await attempt.catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/server exited with [1-9]\d* before it started/);
    expect(error.message).toContain(`Cannot start: ${variable}:`);
  });

  test.skipIf(process.getuid?.() !== 0)('as root, a data folder the postgres user cannot reach is named with the fix', async () => {
    const locked = await mkdtemp(path.join(os.tmpdir(), 'shop-locked-'));
    try {
      await chmod(locked, 0o700);
      const { MASTER_KEY: _omit, ...rest } = env();
      const error = (await spawnServer({ ...rest, MASTER_KEY, DATA_DIR: path.join(locked, 'data') }, 30_000).catch((e: Error) => e)) as Error;
      expect(error.message).toContain(`cannot enter ${locked}`);
      expect(error.message).toContain(`chmod o+x ${locked}`);
    } finally {
      await rm(locked, { recursive: true, force: true });
    }
  });

  test('the data folder is git-ignored and created on demand', () => {
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(readFileSync(path.join(__dirname, '..', '..', '.gitignore'), 'utf8')).toMatch(/^\.data\/$/m);
  });
});
