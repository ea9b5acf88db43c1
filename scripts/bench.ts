/**
 * `npm run bench`: the flash-sale load test (SPEC section 12). Starts its own server on a fresh
 * embedded database and measures, in one run on one machine, each figure next to its baselines:
 *   0. a warm-up, untimed: plain creates and checkouts on a throwaway product,
 *   1. the database's hot-row ceiling: 32 connections of conditional decrement + order insert,
 *      on the server's own PostgreSQL,
 *   2. five times: plain `POST /classes/Transaction` creates per second (the baseline write),
 *      then a storm on a fresh product with 500 units and a live sale with quantityLimit 300 and
 *      perUserLimit 1: 2,000 buy requests from 1,000 users, 200 in flight. Each storm is set next
 *      to the baseline just before it; the medians are reported,
 *   3. `catalog` calls per second next to plain `GET /classes/Product`,
 *   4. each kind of request on its own (a signed-in call that does nothing, an order at the list
 *      price, an order on a sale, a sold-out refusal), next to plain creates measured just before,
 *   5. Live Query delivery next to the restock that caused it,
 *   6. Live Query fan-out: 1,000 subscribers over 2 workers and Redis, 50 checkouts
 *      (scripts/bench/fanout.ts, first, on a server of its own).
 * Prints a table, writes the same as JSON under bench/results/, and exits non-zero if any storm
 * was not exact or a 5xx was seen. Loopback only; every loop is bounded.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, MASTER_KEY } from './bench/client';
import { runFanOut } from './bench/fanout';
import { buildReport, printTable, tableRows, verdict, writeReport } from './bench/report';
import { STORM, baselineCreates, hotRowCeiling, liveQueryDelivery, reads, requestKinds, signUpUsers, storm, warmUp } from './bench/scenarios';
import { runningClusterURI } from './server/embedded-postgres';
import { spawnServer } from './server/spawn';

const ROOT = path.resolve(__dirname, '..');
const APP_ID = 'bench';

async function main() {
  // First, on its own server, so that nothing else competes for the two cores while it measures.
  const fanOut = await runFanOut();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  chmodSync(dataDir, 0o755);
  // BENCH_CPU_PROFILE=<folder> writes a V8 CPU profile of the server there (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROFILE)}`] : [];
  const server = await spawnServer(
    {
      NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', APP_ID, MASTER_KEY, DATA_DIR: dataDir, LOG_LEVEL: 'error',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000', RATE_LIMIT_CHECKOUT_PER_MINUTE: '1000000',
    },
    90_000,
    profile,
  );
  const pid = server.child.pid!;
  const api = connect(`http://127.0.0.1:${server.port}/parse`, APP_ID);
  try {
    const { sessionToken: admin } = await api.must('POST', '/login', { username: 'admin', password: 'shop-owner-password' });
    const tokens = await signUpUsers(api, STORM.users);
    const warm = await warmUp(api, admin, tokens);
    const ceiling = await hotRowCeiling(runningClusterURI(dataDir));
    // Each storm right after a baseline of its own: the machine's slow and fast spells fall on both.
    const baselines = [];
    const storms = [];
    for (let n = 1; n <= STORM.storms; n++) {
      baselines.push(await baselineCreates(api, pid));
      storms.push(await storm(api, admin, tokens, pid, n));
    }
    const r = await reads(api, admin);
    const kinds = await requestKinds(api, admin, tokens, pid);
    const live = await liveQueryDelivery(api, APP_ID, server.port, admin);

    const report = buildReport({ warm, baselines, ceiling, storms, reads: r, kinds, live, fanOut });
    printTable(tableRows(report));
    console.log(`\nwrote ${path.relative(ROOT, writeReport(report, ROOT))}`);
    const failures = verdict(report);
    if (failures.length) {
      console.error(`FAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
