/** A minimal Live Query client speaking Parse's WebSocket protocol, as a phone would. */
import WebSocket from 'ws';
import { APP_ID } from './server';

export interface LiveEvent {
  op: string;
  object?: Record<string, any>;
  original?: Record<string, any>;
}

export interface Subscription {
  events: LiveEvent[];
  /** The server process holding the socket (its X-Shop-Worker header on the upgrade). */
  worker: string | undefined;
  /** Resolves with the first event (already received or future) that matches. */
  waitFor(match: (event: LiveEvent) => boolean, timeoutMs?: number): Promise<LiveEvent>;
  close(): void;
}

export async function subscribe(
  port: number,
  className: string,
  where: Record<string, unknown>,
  sessionToken?: string,
): Promise<Subscription> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/parse`);
  const events: LiveEvent[] = [];
  let worker: string | undefined;
  socket.once('upgrade', (response) => (worker = response.headers['x-shop-worker'] as string | undefined));
  const waiters: Array<{ match: (e: LiveEvent) => boolean; resolve: (e: LiveEvent) => void }> = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => {
      socket.send(JSON.stringify({ op: 'connect', applicationId: APP_ID, sessionToken }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as LiveEvent & { requestId?: number };
      if (message.op === 'connected') {
        socket.send(JSON.stringify({ op: 'subscribe', requestId: 1, query: { className, where }, sessionToken }));
      } else if (message.op === 'subscribed') {
        resolve();
      } else if (message.op === 'error') {
        reject(new Error(JSON.stringify(message)));
      } else {
        events.push(message);
        for (const waiter of [...waiters]) {
          if (waiter.match(message)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(message);
          }
        }
      }
    });
  });
  return {
    events,
    worker,
    waitFor(match, timeoutMs = 5000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching Live Query event in ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close: () => socket.close(),
  };
}
