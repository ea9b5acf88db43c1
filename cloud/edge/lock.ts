/**
 * A short lease on a name, for the rare writes that must not interleave (two admins creating
 * overlapping sales for one product). A unique index on Lock.key makes acquiring atomic; a lease
 * left by a crashed process expires.
 */
import { randomUUID } from 'node:crypto';
import { Code, fail, isParseError } from './errors';
import { deleteWhere } from './db';

const LEASE_MS = 10_000;
const WAIT_MS = 8_000;

export interface Lease {
  key: string;
  token: string;
}

/** Waits for the lease on `key` (up to a few seconds; 142 when another writer keeps it). */
export async function acquireLease(key: string, busyMessage: string): Promise<Lease> {
  const token = randomUUID();
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const lock = new Parse.Object('Lock');
      await lock.save({ key, token, expiresAt: new Date(Date.now() + LEASE_MS) }, { useMasterKey: true });
      return { key, token };
    } catch (error) {
      if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
    }
    // Take over a lease whose holder died; the condition makes only one waiter win it.
    await deleteWhere('Lock', { key, expiresAt: { $lt: { __type: 'Date', iso: new Date().toISOString() } } });
    if (Date.now() > deadline) fail(Code.InvalidInput, busyMessage);
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** attempt) * (0.5 + Math.random())));
  }
}

/** Gives the lease back (only the holder's own lease is deleted). */
export async function releaseLease(lease: Lease): Promise<void> {
  await deleteWhere('Lock', { key: lease.key, token: lease.token });
}

const SAVE_LEASE = 'saveLease';

/**
 * For a beforeSave whose check must not interleave with another save's (an overlap, a duplicate):
 * takes the lease on `key` and runs `check`; the lease is kept until this save's afterSave calls
 * releaseSaveLease (or expires if the save never lands), and given back at once if `check` refuses.
 */
export async function checkUnderSaveLease(
  context: Record<string, unknown>,
  key: string,
  busyMessage: string,
  check: () => Promise<void>,
): Promise<void> {
  const lease = await acquireLease(key, busyMessage);
  try {
    await check();
  } catch (error) {
    await releaseLease(lease);
    throw error;
  }
  context[SAVE_LEASE] = lease;
}

/** Gives back the lease checkUnderSaveLease kept for this save, if any. */
export async function releaseSaveLease(context: Record<string, unknown>): Promise<void> {
  const lease = context[SAVE_LEASE] as Lease | undefined;
  if (lease) await releaseLease(lease);
}
