/**
 * Runs `scripts/start.ts` in a child process, as `npm start` does, and waits for its "listening"
 * line: how the tests and the bench get a real server of their own. `waitForOutput` is the one
 * wait-for-a-line loop, also for the plain Parse Servers of the tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface SpawnedServer {
  child: ChildProcess;
  output: () => string;
  port: number;
  exited: Promise<number | null>;
}

export interface StartedProcess {
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  exited: Promise<number | null>;
  /** The match of `ready` in the output. */
  match: RegExpExecArray;
}

/**
 * Collects the output of a just-spawned child (stdout and stderr piped) and waits until it matches
 * `ready`; rejects with the output when the process exits first or `timeoutMs` passes.
 */
export function waitForOutput(child: ChildProcess, ready: RegExp, timeoutMs = 60_000, what = 'server'): Promise<StartedProcess> {
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    let started = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = started ? null : ready.exec(output);
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve({ output: () => output, exited, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it started:\n${output}`));
    });
  });
}

export async function spawnServer(env: Record<string, string>, timeoutMs = 60_000, nodeArgs: string[] = []): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited, match } = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs);
  return { child, output, port: Number(match[1]), exited };
}
