/** What the checkout test files share: clock helpers, new idempotency keys, and a buy of items now. */
import { randomUUID } from 'node:crypto';
import type { Session, TestServer } from './server';

export const MINUTE = 60_000;
export const at = (ms: number) => new Date(Date.now() + ms);
export const key = () => `key-${randomUUID()}`;

/** A checkout on `server` of `quantity` of one product, bought now under a new key. */
export function buyOn(server: TestServer, session: Session, productId: string, quantity = 1, extra: Record<string, unknown> = {}) {
  return server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity }], ...extra }, { session });
}
