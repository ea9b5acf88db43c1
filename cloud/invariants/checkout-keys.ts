/**
 * The only writer of CheckoutRecord: one row per (user, idempotencyKey), inserted under a unique
 * index before any stock is touched. The first request with a key runs the checkout; every retry,
 * however concurrent, waits for it and gets the same result, never a second set of orders.
 */
import { Code, fail, failField, isParseError } from '../edge/errors';
import { deleteWhere, findRows, insertRow, pointerTo, updateWhere } from '../edge/server-internals';

const WAIT_FOR_FIRST_MS = 20_000;

export type KeyClaim<R> = { kind: 'new'; checkoutId: string } | { kind: 'replay'; result: R };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms * (0.5 + Math.random())));

/**
 * The result of an earlier checkout with this key, waiting while it still runs; null when there is
 * none (or it failed and released the key). The same key with another request is refused (142).
 */
export async function earlierCheckout<R>(userId: string, key: string, fingerprint: string): Promise<R | null> {
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
    const [record] = await findRows('CheckoutRecord', { user: pointerTo('_User', userId), idempotencyKey: key }, { limit: 1 });
    if (!record) return null;
    if (record.request?.fingerprint !== fingerprint) {
      failField('idempotencyKey', 'was already used for a different checkout; use a new key for a new purchase');
    }
    if (record.state === 'completed') return record.result as R;
    if (Date.now() > deadline) fail(Code.InvalidInput, 'idempotencyKey: a checkout with this key is still in progress; retry in a moment.');
    await sleep(wait);
  }
}

/** Claims `key` for a new checkout, or returns the result of the checkout that holds it. */
export async function claimCheckoutKey<R>(userId: string, key: string, fingerprint: string): Promise<KeyClaim<R>> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const record = await insertRow('CheckoutRecord', {
        user: pointerTo('_User', userId),
        idempotencyKey: key,
        state: 'pending',
        request: { fingerprint },
        codeReleased: false,
        ACL: {},
      });
      return { kind: 'new', checkoutId: record.objectId };
    } catch (error) {
      if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
    }
    const result = await earlierCheckout<R>(userId, key, fingerprint);
    if (result !== null) return { kind: 'replay', result };
  }
  fail(Code.InvalidInput, 'idempotencyKey: a checkout with this key is still in progress; retry in a moment.');
}

/** Stores the result that every retry with the same key replays. */
export async function completeCheckout(checkoutId: string, result: unknown): Promise<void> {
  await updateWhere('CheckoutRecord', { objectId: checkoutId, state: 'pending' }, { state: 'completed', result });
}

/** Releases the key of a checkout that failed and was undone, so a retry starts clean. */
export async function releaseCheckoutKey(checkoutId: string): Promise<void> {
  await deleteWhere('CheckoutRecord', { objectId: checkoutId, state: 'pending' });
}
