/**
 * The only writer of CheckoutRecord: one row per (user, idempotencyKey), inserted under a unique
 * index before any stock is touched. The first request with a key runs the checkout; every retry,
 * however concurrent, waits for it and gets the same result, never a second set of orders.
 *
 * A record names its owner (the lease of the process running it) and what it will touch, so that
 * when the owner dies another process settles exactly those rows (recovery/settle.ts). A retry
 * whose first attempt's owner died settles it, then replays its result or runs afresh.
 */
import { Code, fail, failField, isParseError } from '../edge/errors';
import { type BatchFind, type BatchPart, deleteWhere, findRows, insertOne, newRow, updateOne } from '../edge/db';
import { pointerTo, type Row } from '../edge/rows';
import { checkOwnershipWith, isLive, myLease, NO_OWNER } from '../recovery/lease';
import { settleCheckout } from '../recovery/settle';

const WAIT_FOR_FIRST_MS = 20_000;
/** A live owner answers well within this; past it, a retry checks whether the owner still lives. */
const CHECK_OWNER_AFTER_MS = 500;

export type KeyClaim<R> = { kind: 'new'; checkoutId: string } | { kind: 'replay'; result: R };

/** What a checkout may change, written before it changes anything: recovery touches only these rows. */
export interface CheckoutTouches {
  lines: Array<{ productId: string; quantity: number; saleId: string | null }>;
  /** The normalised code the checkout may redeem, or null. */
  code: string | null;
}

/** Checkouts this process is running now; any other pending record it owns was left behind (see recoverCheckouts). */
const runningHere = new Set<string>();

/** This process no longer works on the checkout: it completed, failed, or is in Parse Server's hands. */
export function finishedHere(checkoutId: string): void {
  runningHere.delete(checkoutId);
}

export function isRunningHere(checkoutId: string): boolean {
  return runningHere.has(checkoutId);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms * (0.5 + Math.random())));

/**
 * The result of an earlier checkout with this key, waiting while it still runs; null when there is
 * none (it failed and released the key, or recovery rolled it back). The same key with another
 * request is refused (142).
 */
export async function earlierCheckout<R>(userId: string, key: string, fingerprint: string): Promise<R | null> {
  const started = Date.now();
  for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
    const [record] = await findRows('CheckoutRecord', { user: pointerTo('_User', userId), idempotencyKey: key }, { limit: 1 });
    if (!record) return null;
    if (record.request?.fingerprint !== fingerprint) {
      failField('idempotencyKey', 'was already used for a different checkout; use a new key for a new purchase');
    }
    if (record.state === 'completed') return record.result as R;
    const waited = Date.now() - started;
    if (waited > CHECK_OWNER_AFTER_MS && record.owner !== (await myLease()) && !(await isLive(record.owner))) {
      await settleCheckout(record);
      continue;
    }
    if (waited > WAIT_FOR_FIRST_MS) fail(Code.InvalidInput, 'idempotencyKey: a checkout with this key is still in progress; retry in a moment.');
    await sleep(wait);
  }
}

/** The find of the record of (user, key), to ride along with a request's other reads (records.ts loadShelf). */
export function recordFind(userId: string, key: string): BatchFind {
  return { className: 'CheckoutRecord', where: { user: pointerTo('_User', userId), idempotencyKey: key }, limit: 1, keys: ['state'] };
}

/** Claims `key` for a new checkout owned by this process, or returns the result of the checkout that holds it. */
/** A record's fields as it is claimed (pending) or claimed and completed at once (with its result). */
function recordFields(userId: string, key: string, fingerprint: string, touches: CheckoutTouches, owner: string) {
  return { user: pointerTo('_User', userId), idempotencyKey: key, state: 'pending', request: { fingerprint }, owner, touches, codeReleased: false, ACL: {} };
}

/**
 * A new checkout's id, and its record as a part of an all-or-nothing batch that lands the whole
 * checkout (checkout-claim.ts): inserted completed, with the result every retry replays. The
 * unique (user, idempotencyKey) index makes the batch fail when the key is taken.
 */
export async function completedRecordPart(userId: string, key: string, fingerprint: string, touches: CheckoutTouches): Promise<{ checkoutId: string; part: (result: unknown) => BatchPart }> {
  const row = newRow(recordFields(userId, key, fingerprint, touches, await myLease()));
  return { checkoutId: row.objectId, part: (result) => ({ write: { kind: 'insert', className: 'CheckoutRecord', row: { ...row, state: 'completed', result } } }) };
}

export async function claimCheckoutKey<R>(userId: string, key: string, fingerprint: string, touches: CheckoutTouches): Promise<KeyClaim<R>> {
  const owner = await myLease();
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const record = await insertOne('CheckoutRecord', recordFields(userId, key, fingerprint, touches, owner));
      runningHere.add(record.objectId);
      return { kind: 'new', checkoutId: record.objectId };
    } catch (error) {
      if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
    }
    const result = await earlierCheckout<R>(userId, key, fingerprint);
    if (result !== null) return { kind: 'replay', result };
  }
  fail(Code.InvalidInput, 'idempotencyKey: a checkout with this key is still in progress; retry in a moment.');
}

/**
 * Stores the result that every retry with the same key replays, if the record is still pending and
 * this process's. When another process took it over (this one's lease had lapsed), that process
 * settles it, and this one stops rather than answer for a checkout being settled elsewhere.
 */
export async function completeCheckout(checkoutId: string, result: unknown): Promise<void> {
  const owner = await myLease();
  if (await updateOne('CheckoutRecord', { objectId: checkoutId, state: 'pending', owner }, { state: 'completed', result })) return;
  console.error(`Checkout ${checkoutId} was taken over by another process while this one ran it; this process stops.`);
  process.exit(EXIT_TAKEN_OVER);
}

const EXIT_TAKEN_OVER = 71;

/** Whether every checkout running here is still pending and owned by `owner`. */
async function runningHereStillOwned(owner: string): Promise<boolean> {
  const ids = [...runningHere];
  if (ids.length === 0) return true;
  const rows = await findRows('CheckoutRecord', { objectId: { $in: ids } }, { limit: ids.length, keys: ['owner', 'state'] });
  const stillRunning = ids.filter((id) => runningHere.has(id)); // some may have finished meanwhile
  return stillRunning.every((id) => rows.some((row) => row.objectId === id && row.owner === owner));
}
checkOwnershipWith(runningHereStillOwned);

/** Releases the key of a checkout that failed and was undone, so a retry starts clean. */
export async function releaseCheckoutKey(checkoutId: string): Promise<void> {
  await deleteWhere('CheckoutRecord', { objectId: checkoutId, state: 'pending' });
}

/** Leaves a checkout that could not be undone to recovery, which settles it at once. */
export async function handOffCheckout(checkoutId: string): Promise<void> {
  await updateOne('CheckoutRecord', { objectId: checkoutId, state: 'pending' }, { owner: NO_OWNER });
}

/**
 * Makes this process the owner of a pending record whose owner died: of several processes settling
 * at once, exactly one wins. Returns the record as taken, or null when another got it first.
 */
export async function takeOverCheckout(record: Row): Promise<Row | null> {
  const owner = record.owner === undefined ? { $exists: false } : record.owner;
  const taken = await updateOne('CheckoutRecord', { objectId: record.objectId, state: 'pending', owner }, { owner: await myLease() });
  return taken ? { ...record, owner: taken.owner } : null;
}

/** Pending records owned by any of `owners`. */
export async function pendingCheckoutsOf(owners: string[], limit = 100): Promise<Row[]> {
  return findRows('CheckoutRecord', { state: 'pending', owner: { $in: owners } }, { limit });
}

/** Pending records created before `cutoff` (any owner): what the recoverCheckouts job looks at. */
export async function pendingCheckoutsBefore(cutoff: Date, limit = 100): Promise<Row[]> {
  return findRows('CheckoutRecord', { state: 'pending', createdAt: { $lt: { __type: 'Date', iso: cutoff.toISOString() } } }, { limit, sort: { createdAt: 1 } });
}

/** True for exactly one caller: the one that gives the code's use back once every order of the checkout is cancelled. */
export async function claimCodeRelease(checkoutId: string): Promise<boolean> {
  return (await updateOne('CheckoutRecord', { objectId: checkoutId, codeReleased: false }, { codeReleased: true })) !== null;
}
