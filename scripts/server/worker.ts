/**
 * One server process under the supervisor: Parse Server, GraphQL and Live Query on the shared port.
 * It tells the supervisor when it is ready and obeys `listen` (a standby taking over) and `stop`.
 */
import type { ShopConfig } from '../../parse-config';
import { endLease, myLease, releaseMyLease } from '../../cloud/recovery/lease';
import { settleDeadOwners } from '../../cloud/recovery/settle';
import { startShopServer } from './app';

export type WorkerRole = 'first' | 'active' | 'standby';

export type ToWorker = { type: 'listen' } | { type: 'stop' } | { type: 'owner-died'; lease: string };
export type FromWorker =
  | { type: 'ready'; lease: string; demoLoaded: boolean }
  | { type: 'listening' }
  | { type: 'fatal'; message: string };

const send = (message: FromWorker) => process.send?.(message);

export async function runWorker(config: ShopConfig, role: WorkerRole): Promise<void> {
  // The cause of an uncaught error reaches the supervisor's log before Parse Server exits the process.
  process.on('uncaughtExceptionMonitor', (error) => send({ type: 'fatal', message: error?.stack ?? String(error) }));
  let server;
  try {
    const databaseSocketDir = process.env.SHOP_DATABASE_SOCKET || undefined;
    server = await startShopServer(config, config.databaseURI!, { listenNow: role === 'first', setUp: role === 'first', databaseSocketDir });
    if (role === 'active') await server.listen();
  } catch (error) {
    send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  const running = server;
  const lease = await myLease();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop().catch((error) => console.error('Stopping failed', error));
    await releaseMyLease().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', async (message: ToWorker) => {
    if (message.type === 'listen') {
      await running.listen();
      send({ type: 'listening' });
    } else if (message.type === 'stop') {
      await stop();
    } else if (message.type === 'owner-died') {
      // The supervisor saw that process exit: settle its checkouts now rather than when its lease lapses.
      await endLease(message.lease)
        .then(() => settleDeadOwners())
        .catch((error) => console.error(`Settling the checkouts of a dead process failed; the recovery sweep retries`, error));
    }
  });
  // Ctrl-C reaches every process of the group: the supervisor stops the workers in order.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', lease, demoLoaded: running.demoLoaded });
}
