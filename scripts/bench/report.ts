/**
 * Turns what the scenarios measured into `npm run bench`'s figures: each next to its baselines,
 * every ratio, CPU per request, a table, the JSON file under bench/results/, and the verdict that
 * sets the exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Timed, codes, latency, median } from './client';
import { type FanOutReport, fanOutRows } from './fanout';
import { type StormResult, BASELINE_CREATES, CEILING, KINDS, LIVE_WRITES, READS, STORM, WARM_UP, baselineCreates, hotRowCeiling, liveQueryDelivery, reads, requestKinds, warmUp } from './scenarios';

export interface Measured {
  warm: Awaited<ReturnType<typeof warmUp>>;
  /** One batch of plain creates right before each storm, in the same order. */
  baselines: Array<Awaited<ReturnType<typeof baselineCreates>>>;
  ceiling: Awaited<ReturnType<typeof hotRowCeiling>>;
  storms: StormResult[];
  reads: Awaited<ReturnType<typeof reads>>;
  kinds: Awaited<ReturnType<typeof requestKinds>>;
  live: Awaited<ReturnType<typeof liveQueryDelivery>>;
  fanOut: FanOutReport | { skipped: string };
}

const count5xx = (results: Timed[]) => results.filter((x) => x.status >= 500).length;
/** CPU milliseconds per request. */
const perRequestMs = (seconds: number, requests: number) => (seconds * 1000) / requests;

/** What breaks a storm's exactness, empty when it held: no oversold unit, exact quota and per-user limits, no 5xx. */
export function stormBreaks(s: StormResult): string[] {
  const breaks: string[] = [];
  if (s.oversold > 0) breaks.push(`${s.oversold} oversold`);
  if (!s.stockAccountedFor) breaks.push(`sold ${s.units} + left ${s.stockLeft} != stock ${STORM.stock}`);
  if (s.saleUnits > STORM.quantityLimit) breaks.push(`${s.saleUnits} sale units over quantityLimit ${STORM.quantityLimit}`);
  if (s.soldCount !== s.saleUnits) breaks.push(`soldCount ${s.soldCount} != ${s.saleUnits} sale units`);
  if (s.usersOverPerUserLimit > 0) breaks.push(`${s.usersOverPerUserLimit} users over perUserLimit`);
  const http5xx = count5xx(s.results);
  if (http5xx > 0) breaks.push(`${http5xx} HTTP 5xx`);
  return breaks;
}

function stormFigures(s: StormResult) {
  const requestsPerSecond = STORM.requests / s.seconds;
  return {
    seconds: s.seconds,
    requestsPerSecond,
    sellingSeconds: s.sellingSeconds,
    ordersPerSecond: s.orders / s.sellingSeconds,
    latencyMs: latency(s.results),
    cpuSeconds: s.cpu,
    serverCpuMsPerRequest: perRequestMs(s.cpu.serverSeconds, STORM.requests),
    databaseCpuMsPerRequest: perRequestMs(s.cpu.databaseSeconds, STORM.requests),
    orders: s.orders,
    unitsSold: s.units,
    oversoldUnits: s.oversold,
    stockAccountedFor: s.stockAccountedFor,
    stockLeft: s.stockLeft,
    saleUnits: s.saleUnits,
    saleSoldCount: s.soldCount,
    usersOverPerUserLimit: s.usersOverPerUserLimit,
    errorsByCode: codes(s.results),
    breaks: stormBreaks(s),
  };
}

export function buildReport(m: Measured) {
  const batches = m.baselines.map((batch) => ({
    perSecond: BASELINE_CREATES / batch.seconds,
    latencyMs: latency(batch.results),
    serverCpuMsPerRequest: perRequestMs(batch.cpu.serverSeconds, BASELINE_CREATES),
    databaseCpuMsPerRequest: perRequestMs(batch.cpu.databaseSeconds, BASELINE_CREATES),
    errors: codes(batch.results),
  }));
  const createsPerSecond = median(batches.map((batch) => batch.perSecond));
  const storms = m.storms.map((storm, i) => {
    const figures = stormFigures(storm);
    return { ...figures, ordersToItsBaseline: figures.ordersPerSecond / batches[i].perSecond };
  });
  const mid = (pick: (s: (typeof storms)[number]) => number) => median(storms.map(pick));
  const ordersPerSecond = mid((s) => s.ordersPerSecond);
  const requestsPerSecond = mid((s) => s.requestsPerSecond);
  const plainReadsPerSecond = READS.calls / m.reads.plain.seconds;
  const catalogPerSecond = READS.calls / m.reads.catalog.seconds;
  const kinds = m.kinds.map(({ kind, baseline, run, cpu }) => {
    const perSecond = KINDS.requests / run.seconds;
    const creates = KINDS.requests / baseline.seconds;
    return {
      kind,
      perSecond,
      plainCreatesPerSecond: creates,
      toPlainCreates: perSecond / creates,
      serverCpuMsPerRequest: perRequestMs(cpu.serverSeconds, KINDS.requests),
      databaseCpuMsPerRequest: perRequestMs(cpu.databaseSeconds, KINDS.requests),
      plainCreateCpuMs: { server: perRequestMs(baseline.cpu.serverSeconds, KINDS.requests), database: perRequestMs(baseline.cpu.databaseSeconds, KINDS.requests) },
      latencyMs: latency(run.results),
      answers: codes(run.results),
    };
  });
  const all = [...m.kinds.flatMap((k) => [...k.baseline.results, ...k.run.results]), ...m.warm.creates, ...m.warm.checkouts, ...m.baselines.flatMap((b) => b.results), ...m.storms.flatMap((s) => s.results), ...m.reads.plain.results, ...m.reads.catalog.results];
  const ratios = {
    /** The median over the storms of each storm's orders/s to the baseline measured just before it. */
    ordersToPlainCreates: mid((s) => s.ordersToItsBaseline),
    ordersToHotRowCeiling: ordersPerSecond / m.ceiling.perSecond,
    plainCreatesToHotRowCeiling: createsPerSecond / m.ceiling.perSecond,
    stormRequestsToPlainCreates: requestsPerSecond / createsPerSecond,
    catalogToPlainGet: catalogPerSecond / plainReadsPerSecond,
    liveDeliveryToWrite: m.live.deliveryP50 / m.live.writeP50,
  };
  const stormP99 = mid((s) => s.latencyMs.p99);
  return {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    warmUp: { ...WARM_UP, untimed: true },
    baseline: {
      creates: BASELINE_CREATES,
      inFlight: STORM.inFlight,
      /** Medians over the batches, one before each storm; each batch's own figures are in `batches`. */
      perSecond: createsPerSecond,
      latencyMs: { p50: median(batches.map((b) => b.latencyMs.p50)), p99: median(batches.map((b) => b.latencyMs.p99)) },
      serverCpuMsPerRequest: median(batches.map((b) => b.serverCpuMsPerRequest)),
      databaseCpuMsPerRequest: median(batches.map((b) => b.databaseCpuMsPerRequest)),
      batches,
    },
    hotRowCeiling: { ...m.ceiling, warmUpSeconds: CEILING.warmUpSeconds, transaction: 'UPDATE hot SET stock = stock - 1 WHERE id = 1 AND stock > 0; INSERT order row' },
    storm: {
      ...STORM,
      /** Medians over the storms; each storm's own figures are in `storms`. */
      seconds: mid((s) => s.seconds),
      requestsPerSecond,
      sellingSeconds: mid((s) => s.sellingSeconds),
      ordersPerSecond,
      latencyMs: { p50: mid((s) => s.latencyMs.p50), p95: mid((s) => s.latencyMs.p95), p99: mid((s) => s.latencyMs.p99) },
      serverCpuMsPerRequest: mid((s) => s.serverCpuMsPerRequest),
      databaseCpuMsPerRequest: mid((s) => s.databaseCpuMsPerRequest),
      storms,
    },
    ratios,
    /** SPEC 12's targets, each as measured here. */
    targets: {
      ordersToPlainCreates: { target: '>= 0.5', met: ratios.ordersToPlainCreates >= 0.5 },
      stormP99Ms: { target: '< 1000', met: stormP99 < 1000 },
      catalogToPlainGet: { target: '>= 0.8', met: ratios.catalogToPlainGet >= 0.8 },
    },
    reads: {
      calls: READS.calls,
      inFlight: READS.inFlight,
      products: READS.products,
      plainGetProductPerSecond: plainReadsPerSecond,
      catalogPerSecond,
      catalogRatioToPlain: catalogPerSecond / plainReadsPerSecond,
      plainLatencyMs: latency(m.reads.plain.results),
      catalogLatencyMs: latency(m.reads.catalog.results),
    },
    /** Each kind of request on its own (scenarios.ts requestKinds), each next to the plain creates just before it. */
    requestKinds: { requests: KINDS.requests, inFlight: STORM.inFlight, kinds },
    liveQuery: { writes: LIVE_WRITES, restockLatencyP50Ms: m.live.writeP50, deliveryP50Ms: m.live.deliveryP50, deliveryP99Ms: m.live.deliveryP99, missed: m.live.missed },
    liveQueryFanOut: m.fanOut,
    http5xx: count5xx(all),
  };
}
export type Report = ReturnType<typeof buildReport>;

const fmt = (n: number, digits = 0) => n.toFixed(digits);

export function tableRows(r: Report): Array<[string, string]> {
  const b = r.baseline;
  const s = r.storm;
  const c = r.hotRowCeiling;
  const n = s.storms.length;
  return [
    ['warm-up (untimed)', `${WARM_UP.creates} plain creates, ${WARM_UP.checkouts} checkouts (one per buyer) on a throwaway product and sale`],
    ['baseline: plain POST /classes/Transaction', `median of ${b.batches.length} (one before each storm): ${fmt(b.perSecond)} creates/s (p50 ${fmt(b.latencyMs.p50)} ms, p99 ${fmt(b.latencyMs.p99)} ms); each: ${b.batches.map((x) => fmt(x.perSecond)).join(', ')}`],
    ['baseline: database hot-row ceiling', `${fmt(c.perSecond)} transactions/s (${c.clients} clients, ${fmt(c.seconds, 1)} s, p99 ${fmt(c.latencyMs.p99, 1)} ms): conditional decrement of one row + order insert`],
    ['storm: checkout requests', `median of ${n}: ${STORM.requests} in ${fmt(s.seconds, 1)} s = ${fmt(s.requestsPerSecond)} req/s, ratio ${fmt(r.ratios.stormRequestsToPlainCreates, 2)} to baseline`],
    ['storm: orders while stock lasts', `median of ${n}: ${fmt(s.ordersPerSecond)} orders/s; ratio to the baseline before it, median of ${n}: ${fmt(r.ratios.ordersToPlainCreates, 2)} (each: ${s.storms.map((x) => fmt(x.ordersToItsBaseline, 2)).join(', ')}); ${fmt(r.ratios.ordersToHotRowCeiling, 2)} to the hot-row ceiling`],
    ['storm latency', `median of ${n}: p50 ${fmt(s.latencyMs.p50)} ms, p95 ${fmt(s.latencyMs.p95)} ms, p99 ${fmt(s.latencyMs.p99)} ms`],
    ['CPU per request', `storm: server ${fmt(s.serverCpuMsPerRequest, 2)} ms + database ${fmt(s.databaseCpuMsPerRequest, 2)} ms; plain create: server ${fmt(b.serverCpuMsPerRequest, 2)} ms + database ${fmt(b.databaseCpuMsPerRequest, 2)} ms`],
    ...s.storms.map((x, i): [string, string] => [
      `storm ${i + 1}`,
      `${x.orders} orders in ${fmt(x.sellingSeconds, 1)} s = ${fmt(x.ordersPerSecond)} orders/s, p99 ${fmt(x.latencyMs.p99)} ms, server CPU ${fmt(x.cpuSeconds.serverSeconds, 1)} s; ` +
        `units ${x.unitsSold} of ${STORM.stock}, left ${x.stockLeft}; sale ${x.saleUnits} (soldCount ${x.saleSoldCount}) of ${STORM.quantityLimit}; ` +
        `over perUserLimit ${x.usersOverPerUserLimit}; ${JSON.stringify(x.errorsByCode)}: ${x.breaks.length ? `NOT EXACT (${x.breaks.join(', ')})` : 'exact'}`,
    ]),
    ['ratios', `orders/plain creates ${fmt(r.ratios.ordersToPlainCreates, 2)}, orders/hot-row ceiling ${fmt(r.ratios.ordersToHotRowCeiling, 2)}, plain creates/hot-row ceiling ${fmt(r.ratios.plainCreatesToHotRowCeiling, 2)}, catalog/plain GET ${fmt(r.ratios.catalogToPlainGet, 2)}`],
    ['reads: plain GET /classes/Product', `${fmt(r.reads.plainGetProductPerSecond)} /s (p99 ${fmt(r.reads.plainLatencyMs.p99)} ms)`],
    ['reads: catalog', `${fmt(r.reads.catalogPerSecond)} /s, ratio ${fmt(r.reads.catalogRatioToPlain, 2)} to plain (p99 ${fmt(r.reads.catalogLatencyMs.p99)} ms)`],
    ...r.requestKinds.kinds.map((k): [string, string] => [
      `kind: ${k.kind}`,
      `${fmt(k.perSecond)} /s, ${fmt(k.toPlainCreates, 2)} of the plain creates before it (${fmt(k.plainCreatesPerSecond)} /s); CPU per request server ${fmt(k.serverCpuMsPerRequest, 2)} ms + database ${fmt(k.databaseCpuMsPerRequest, 2)} ms (plain create ${fmt(k.plainCreateCpuMs.server, 2)} + ${fmt(k.plainCreateCpuMs.database, 2)}); ${JSON.stringify(k.answers)}`,
    ]),
    ['live query: restock → Inventory event', `p50 ${fmt(r.liveQuery.deliveryP50Ms, 1)} ms (p99 ${fmt(r.liveQuery.deliveryP99Ms, 1)} ms) next to the restock's own p50 ${fmt(r.liveQuery.restockLatencyP50Ms, 1)} ms; missed ${r.liveQuery.missed}`],
    ...fanOutRows(r.liveQueryFanOut),
    ['HTTP 5xx', String(r.http5xx)],
    ['SPEC 12 targets', Object.entries(r.targets).map(([name, t]) => `${name} ${t.target}: ${t.met ? 'met' : 'NOT MET'}`).join('; ')],
  ];
}

export function printTable(rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n'));
}

/** Writes the report under `root`/bench/results/ and returns the file's path. */
export function writeReport(r: Report, root: string): string {
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${r.when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}

/** Why the run fails, empty when it passes: a storm not exact, any 5xx, a Live Query event lost or out of order. */
export function verdict(r: Report): string[] {
  const failures = r.storm.storms.flatMap((s, i) => s.breaks.map((b) => `storm ${i + 1}: ${b}`));
  if (r.http5xx > 0) failures.push(`${r.http5xx} HTTP 5xx`);
  const f = r.liveQueryFanOut;
  if ('eventsLost' in f && (f.eventsLost > 0 || f.outOfOrder > 0)) failures.push(`fan-out: ${f.eventsLost} events lost, ${f.outOfOrder} out of order`);
  return failures;
}
