/**
 * The bench's side of the wire: REST calls to a server, bounded concurrent load with timings,
 * percentiles, and the CPU a server's process tree used (Linux /proc). Shared by `npm run bench`
 * and `npm run bench:fanout`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import WebSocket from 'ws';

export const MASTER_KEY = 'bench-master-key-0123456789abcdef012345';
export const master = { 'X-Parse-Master-Key': MASTER_KEY };
/** A request slower than this counts as failed (599) rather than hanging the bench. */
const CALL_TIMEOUT_MS = 60_000;

export interface Reply {
  status: number;
  body: any;
}

export interface Timed {
  status: number;
  code: number | null;
  ms: number;
  /** When the answer came, in seconds from the start of the load. */
  doneAt: number;
}

export interface Api {
  url: string;
  /** Any answer, as status and parsed body. */
  call(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** The body of a 2xx answer; throws on anything else. */
  must(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<any>;
}

export function connect(url: string, appId: string): Api {
  // node:http with kept-alive sockets: the load generator shares the machine's two cores with the
  // server and its database, and fetch costs about twice the CPU per request.
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const call = (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          host: base.hostname,
          port: base.port,
          path: `${base.pathname}${urlPath}`,
          method,
          agent,
          timeout: CALL_TIMEOUT_MS,
          headers: {
            'X-Parse-Application-Id': appId,
            'Content-Type': 'application/json',
            ...(payload === undefined ? {} : { 'Content-Length': Buffer.byteLength(payload) }),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
            } catch {
              resolve({ status: response.statusCode ?? 0, body: { error: text } });
            }
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer in ${CALL_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(payload);
    });
  const must = async (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) => {
    const reply = await call(method, urlPath, body, headers);
    if (reply.status >= 300) throw new Error(`${method} ${urlPath}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  return { url, call, must };
}

/** Runs `count` tasks with at most `inFlight` at once; results in task order. */
export async function inBatches<T>(count: number, inFlight: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

/** `inBatches` of requests, timing each; a request that throws counts as status 599. */
export async function load(count: number, inFlight: number, task: (i: number) => Promise<Reply>): Promise<{ results: Timed[]; seconds: number }> {
  const started = performance.now();
  const results = await inBatches(count, inFlight, async (i): Promise<Timed> => {
    const t0 = performance.now();
    const { status, body } = await task(i).catch((error) => ({ status: 599, body: { code: null, error: String(error) } }));
    const end = performance.now();
    return { status, code: status >= 300 ? (body?.code ?? null) : null, ms: end - t0, doneAt: (end - started) / 1000 };
  });
  return { results, seconds: (performance.now() - started) / 1000 };
}

/** The nearest-rank percentile of an ascending list; 0 for an empty one. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function latency(results: Timed[]) {
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** Refusals and failures counted by Parse error code, or by HTTP status for 429 and 5xx. */
export function codes(results: Timed[]): Record<string, number> {
  const counted: Record<string, number> = {};
  for (const r of results) {
    if (r.status < 300) continue;
    const label = r.status === 429 ? '429' : r.status >= 500 ? `HTTP ${r.status}` : String(r.code);
    counted[label] = (counted[label] ?? 0) + 1;
  }
  return counted;
}

export interface TreeCpu {
  /** Node processes: the supervisor and its workers. */
  server: number;
  /** PostgreSQL: the postmaster and its backends, when the server runs the embedded database. */
  database: number;
}

/**
 * CPU seconds (user + system) of a process and all its descendants, from Linux /proc, split into
 * PostgreSQL processes and the rest; NaN where there is no /proc.
 */
export function treeCpuSeconds(rootPid: number): TreeCpu {
  const stats = new Map<number, { parent: number; ticks: number; postgres: boolean }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { server: Number.NaN, database: Number.NaN };
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      // utime + stime, in clock ticks of 1/100 s
      stats.set(Number(entry), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), postgres: name.startsWith('postgres') });
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (pid: number): boolean => pid === rootPid || (pid > 1 && stats.has(pid) && inTree(stats.get(pid)!.parent));
  const ticks = { server: 0, database: 0 };
  for (const [pid, stat] of stats) if (inTree(pid)) ticks[stat.postgres ? 'database' : 'server'] += stat.ticks;
  return { server: ticks.server / 100, database: ticks.database / 100 };
}

/** Starts a CPU measurement of a server's tree and of this process; `stop()` gives the seconds used since. */
export function cpuMeter(serverPid: number) {
  const server = treeCpuSeconds(serverPid);
  const client = process.cpuUsage();
  return {
    stop() {
      const now = treeCpuSeconds(serverPid);
      const used = process.cpuUsage(client);
      return { serverSeconds: now.server - server.server, databaseSeconds: now.database - server.database, clientSeconds: (used.user + used.system) / 1e6 };
    },
  };
}
export type CpuUsed = ReturnType<ReturnType<typeof cpuMeter>['stop']>;

export interface InventoryFeed {
  socket: WebSocket;
  /** The process holding the socket (its X-Shop-Worker header on the upgrade). */
  worker: string;
}

/**
 * Subscribes to the Inventory rows matching `where` as a phone does (connect, then subscribe, with
 * the session token when given); resolves once subscribed. `onUpdate` gets each update's row and
 * when it arrived (performance.now()).
 */
export function subscribeInventory(
  port: number,
  appId: string,
  where: Record<string, unknown>,
  onUpdate: (row: Record<string, any>, at: number) => void,
  sessionToken?: string,
): Promise<InventoryFeed> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/parse`);
    let worker = '?';
    socket.once('upgrade', (response) => (worker = String(response.headers['x-shop-worker'] ?? '?')));
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ op: 'connect', applicationId: appId, sessionToken })));
    socket.on('message', (data) => {
      const at = performance.now();
      const message = JSON.parse(String(data));
      if (message.op === 'connected') {
        socket.send(JSON.stringify({ op: 'subscribe', requestId: 1, query: { className: 'Inventory', where }, sessionToken }));
      } else if (message.op === 'subscribed') {
        resolve({ socket, worker });
      } else if (message.op === 'update') {
        onUpdate(message.object ?? {}, at);
      } else if (message.op === 'error') {
        reject(new Error(JSON.stringify(message)));
      }
    });
  });
}
