/**
 * `npm start` runs this supervisor (the node:cluster primary). It owns the embedded PostgreSQL and
 * keeps WORKERS server processes answering on one port, plus one standby: a process that has
 * started Parse Server but does not take requests yet. A worker that dies, for whatever reason, is
 * replaced by the standby at once (starting a process takes seconds, switching a standby in takes
 * milliseconds), its death is logged with its cause, and the living processes are told to settle
 * its checkouts. SIGTERM or SIGINT drains the workers, then stops the database.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ShopConfig } from '../../parse-config';
import { type EmbeddedDatabase, freePort, startEmbeddedPostgres } from './embedded-postgres';
import type { FromWorker, ToWorker, WorkerRole } from './worker';

/** A worker that does not stop within this after `stop` is killed. */
const STOP_TIMEOUT_MS = 20_000;
/** More deaths than this within a minute: something is wrong with every process; stop rather than loop. */
const MAX_DEATHS_PER_MINUTE = 30;

interface Member {
  worker: Worker;
  role: 'active' | 'standby';
  ready: boolean;
  lease?: string;
  lastFatal?: string;
}

export interface Supervised {
  port: number;
  databaseURI: string;
  demoLoaded: boolean;
  stop(): Promise<void>;
}

const describeExit = (code: number | null, signal: string | null, fatal?: string) =>
  (signal ? `killed by ${signal}` : `exited with code ${code}`) + (fatal ? `: ${fatal.split('\n').slice(0, 3).join(' | ')}` : '');

export async function startSupervisor(config: ShopConfig): Promise<Supervised> {
  // Workers accept connections from the shared socket themselves. With Node's default round-robin,
  // the primary hands each connection over and keeps it until the worker confirms: a worker killed
  // in between leaves those clients hanging for minutes instead of failing at once.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseURI) embedded = await startEmbeddedPostgres(config.dataDir);
  const databaseURI = config.databaseURI ?? embedded!.uri;
  // Every process listens on the same port; a replacement must get the same one, so 0 is resolved here.
  const port = config.port === 0 ? await freePort() : config.port;
  const members = new Map<number, Member>();
  const deaths: number[] = [];
  let stopping = false;
  let started = false;

  const fork = (role: WorkerRole): Member => {
    // The embedded database is also reached through its Unix socket (see EmbeddedDatabase.socketDir).
    const socket = embedded?.socketDir ? { SHOP_DATABASE_SOCKET: embedded.socketDir } : {};
    const worker = cluster.fork({ DATABASE_URI: databaseURI, PORT: String(port), SHOP_WORKER_ROLE: role, ...socket });
    const member: Member = { worker, role: role === 'standby' ? 'standby' : 'active', ready: false };
    members.set(worker.id, member);
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'fatal') member.lastFatal = message.message;
      if (message.type === 'ready') {
        member.ready = true;
        member.lease = message.lease;
        console.log(`Worker ${worker.process.pid} ready (${member.role})`);
      }
    });
    return member;
  };

  const tell = (member: Member, message: ToWorker) => {
    if (member.worker.isConnected()) member.worker.send(message);
  };

  const ready = (member: Member) =>
    new Promise<FromWorker & { type: 'ready' }>((resolve, reject) => {
      member.worker.on('message', (message: FromWorker) => message.type === 'ready' && resolve(message));
      member.worker.once('exit', (code, signal) =>
        reject(new Error(member.lastFatal ?? `the server process ${describeExit(code, signal)} before it started`)),
      );
    });

  const replace = (dead: Member) => {
    const now = Date.now();
    deaths.push(now);
    while (deaths[0] < now - 60_000) deaths.shift();
    if (deaths.length > MAX_DEATHS_PER_MINUTE) {
      console.error(`${deaths.length} server processes died within a minute; stopping.`);
      void stop().then(() => process.exit(1));
      return;
    }
    if (dead.role === 'active') {
      const standby = [...members.values()].find((m) => m.role === 'standby' && m.ready);
      if (standby) {
        standby.role = 'active';
        tell(standby, { type: 'listen' });
        console.log(`Worker ${standby.worker.process.pid} took over`);
      } else {
        fork('active');
      }
    }
    if (![...members.values()].some((m) => m.role === 'standby')) fork('standby');
    if (dead.lease) for (const member of members.values()) if (member.ready) tell(member, { type: 'owner-died', lease: dead.lease });
  };

  cluster.on('exit', (worker, code, signal) => {
    const member = members.get(worker.id);
    members.delete(worker.id);
    if (!member || stopping || !started) return;
    console.error(`Worker ${worker.process.pid} (${member.role}) died, ${describeExit(code, signal, member.lastFatal)}; replacing it`);
    replace(member);
  });

  const stop = async () => {
    stopping = true;
    const exits = [...members.values()].map(
      (member) =>
        new Promise<void>((resolve) => {
          if (member.worker.isDead()) return resolve();
          const timer = setTimeout(() => member.worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
          member.worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          tell(member, { type: 'stop' });
        }),
    );
    await Promise.all(exits);
    await embedded?.stop();
  };

  try {
    // The first process applies the schema and ensures the admin and demo data, alone.
    const first = fork('first');
    const { demoLoaded } = await ready(first);
    started = true;
    for (let i = 1; i < config.workers; i++) fork('active');
    fork('standby');
    return { port, databaseURI, demoLoaded, stop };
  } catch (error) {
    stopping = true;
    for (const member of members.values()) member.worker.process.kill('SIGKILL');
    await embedded?.stop();
    throw error;
  }
}
