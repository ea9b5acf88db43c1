/**
 * The only writer of CheckoutRecord: one row per (user, idempotencyKey), inserted under a unique
 * index before any stock is touched. The first request with a key runs the checkout; every retry,
 * however concurrent, waits for it and gets the same result, never a second set of orders.
 */
import { Code, fail, failField, isParseError } from '../edge/errors';
import { deleteWhere, updateWhere } from '../edge/server-internals';

const WAIT_FOR_FIRST_MS = 20_000;
const master = { useMasterKey: true } as const;

export type KeyClaim<R> = { kind: 'new'; checkoutId: string } | { kind: 'replay'; result: R };

async function findRecord(user: Parse.User, key: string): Promise<Parse.Object | undefined> {
  return new Parse.Query('CheckoutRecord').equalTo('user', user).equalTo('idempotencyKey', key).first(master);
}

/**
 * Claims `key` for a new checkout, or returns the result of the checkout that already used it.
 * `fingerprint` identifies the request: the same key with a different request is refused (142).
 */
export async function claimCheckoutKey<R>(user: Parse.User, key: string, fingerprint: string): Promise<KeyClaim<R>> {
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (let wait = 20; Date.now() < deadline; wait = Math.min(wait * 2, 200)) {
    const record = new Parse.Object('CheckoutRecord');
    record.setACL(new Parse.ACL());
    try {
      await record.save({ user, idempotencyKey: key, state: 'pending', request: { fingerprint } }, master);
      return { kind: 'new', checkoutId: record.id! };
    } catch (error) {
      if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
    }
    const first = await findRecord(user, key);
    if (first) {
      if (first.get('request')?.fingerprint !== fingerprint) {
        failField('idempotencyKey', 'was already used for a different checkout; use a new key for a new purchase');
      }
      if (first.get('state') === 'completed') return { kind: 'replay', result: first.get('result') as R };
    }
    // The first request is still running (or just failed and released the key): wait, then look again.
    await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
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
