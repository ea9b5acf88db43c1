/**
 * The WebSocket server under Live Query (Parse's `wssAdapter` option), as Parse's own WSAdapter
 * but with a bounded message size (ws accepts 100 MiB by default; a subscribe message is a few
 * hundred bytes) and with the answering process named on the upgrade, as on every HTTP answer.
 */
import type http from 'node:http';
import { WebSocketServer } from 'ws';

/** Subscribe and connect messages are small; anything bigger is refused and the socket closed. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** The header that names the process which answered: useful behind a load balancer and in tests. */
export const WORKER_HEADER = 'X-Shop-Worker';

/** This process's name in that header: its pid, as the supervisor's log names workers. */
export function workerName(): string {
  return String(process.pid);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Parse passes its own callbacks
type Listener = (...args: any[]) => void;

export class ShopWebSocketAdapter {
  // Parse's ParseWebSocketServer assigns these before it calls start().
  onListen: Listener = () => undefined;
  onConnection: Listener = () => undefined;
  onError: Listener = () => undefined;
  private wss: WebSocketServer | undefined;

  constructor(private readonly options: { server: http.Server }) {}

  start(): void {
    const wss = new WebSocketServer({ server: this.options.server, maxPayload: MAX_MESSAGE_BYTES });
    wss.on('headers', (headers) => headers.push(`${WORKER_HEADER}: ${workerName()}`));
    wss.on('listening', this.onListen);
    wss.on('connection', this.onConnection);
    wss.on('error', this.onError);
    this.wss = wss;
  }

  close(): void {
    this.wss?.close();
  }
}
