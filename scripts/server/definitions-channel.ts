/**
 * Carries definition changes (cloud/edge/definitions.ts) between the processes of one shop over
 * Redis pub/sub: a save of a Product or FlashSale in one process makes every other forget what it
 * cached of it, usually within a millisecond. While Redis is out, messages are lost; the cache's
 * 5-second expiry bounds what that leaves behind.
 */
import { createClient } from 'redis';
import { type DefinitionChange, forgetHere, sendDefinitionChangesWith } from '../../cloud/edge/definitions';

export async function shareDefinitionChanges(redisURL: string, appId: string): Promise<() => Promise<void>> {
  const channel = `${appId}:definitions`;
  const publisher = createClient({ url: redisURL });
  const subscriber = publisher.duplicate();
  // The clients reconnect by themselves; an error event without a listener would end the process.
  for (const client of [publisher, subscriber]) client.on('error', () => undefined);
  await Promise.all([publisher.connect(), subscriber.connect()]);
  await subscriber.subscribe(channel, (message) => {
    try {
      forgetHere(JSON.parse(message) as DefinitionChange);
    } catch {
      // not one of ours
    }
  });
  sendDefinitionChangesWith((change) => {
    if (publisher.isReady) publisher.publish(channel, JSON.stringify(change)).catch(() => undefined);
  });
  return async () => {
    sendDefinitionChangesWith(null);
    await Promise.all([publisher.quit().catch(() => undefined), subscriber.quit().catch(() => undefined)]);
  };
}
