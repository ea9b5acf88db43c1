/**
 * A private redis-server for one test file, on a free port, with nothing saved to disk: it can be
 * killed mid-test and started again on the same port, which the shared Redis must never be.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../../scripts/server/embedded-postgres';

/** Resolves once something answers on the port (Redis accepts connections once it is ready). */
async function answering(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end('PING\r\n');
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  /** redis://127.0.0.1:port/db */
  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  /** Starts redis-server again on the same port (empty: it saves nothing). */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await answering(this.port, 10_000);
  }

  /** Kills redis-server at once (SIGKILL: no goodbye to its clients, as in a crash). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }
}
