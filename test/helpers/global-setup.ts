/**
 * One embedded PostgreSQL cluster for the whole run; every integration test file creates its own
 * database on it (see server.ts), so files never see each other's data.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../scripts/server/embedded-postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://...:port/ (append a database name) */
    pgClusterURI: string;
  }
}

export default async function setup(project: TestProject) {
  // SPEC 2's MongoDB leg: with TEST_MONGODB_URI every test server gets a database of its own on that
  // mongod (server.ts); without it, one line per run says why the leg did not run.
  if (!process.env.TEST_MONGODB_URI) {
    process.stdout.write(
      'MongoDB leg skipped: TEST_MONGODB_URI is not set (no npm package ships a mongod binary, and mongodb-memory-server downloads one at run time, which this machine\'s network does not allow)\n',
    );
  } else {
    process.stdout.write(`MongoDB leg: integration tests run against ${process.env.TEST_MONGODB_URI.replace(/\/\/[^@/]*@/, '//***@')}\n`);
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shop-test-pg-'));
  await chmod(dataDir, 0o755); // as root, PostgreSQL runs as `postgres`, which must enter this folder
  // pg_stat_statements lets tests count the queries a request makes (catalog: constant, not per product).
  const db = await startEmbeddedPostgres(dataDir, {
    settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
  });
  project.provide('pgClusterURI', db.uriFor(''));
  return async () => {
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
