/**
 * Each server process holds a lease: a ProcessLease row whose expiresAt it pushes forward every
 * second. Every checkout record names the lease of the process running it, so when a process dies
 * (kill -9 included) its lease lapses and any live process settles that owner's pending checkouts
 * (settle.ts). A process that finds its own lease lapsed (it stalled, or lost the database for
 * longer than the lease) stops at once: another process may already be settling its checkouts, and
 * it must not write for them.
 */
import { hostname } from 'node:os';
import { deleteWhere, findRows, insertOne, updateOne } from '../edge/db';
import { dateValue } from '../edge/rows';

export const LEASE_MS = 8_000;
const RENEW_MS = 1_000;
/** The owner of a checkout whose own process handed it to recovery (an undo failed). */
export const NO_OWNER = 'none';
const EXIT_LEASE_LOST = 70;

let lease: Promise<string> | undefined;
let renewTimer: NodeJS.Timeout | undefined;
let validUntil = 0;

const inFuture = (ms: number) => dateValue(new Date(Date.now() + ms));

function leaseLost(id: string, reason: string): never {
  console.error(`Process lease ${id} lapsed (${reason}); other processes may be settling this process's checkouts, so it stops.`);
  process.exit(EXIT_LEASE_LOST);
}

function keepRenewing(id: string): void {
  let renewing = false;
  renewTimer = setInterval(async () => {
    if (renewing) return;
    renewing = true;
    const sentAt = Date.now();
    try {
      // Only a lease that has not lapsed is renewed: once it lapsed, others may act on it.
      const row = await updateOne('ProcessLease', { objectId: id, expiresAt: { $gt: dateValue(new Date()) } }, { expiresAt: inFuture(LEASE_MS) });
      if (!row) leaseLost(id, 'it was not renewed in time');
      validUntil = sentAt + LEASE_MS;
    } catch (error) {
      if (Date.now() > validUntil) leaseLost(id, `renewing failed: ${(error as Error).message}`);
    } finally {
      renewing = false;
    }
  }, RENEW_MS);
  renewTimer.unref();
}

/** This process's lease id, taken on first use and renewed from then on. */
export function myLease(): Promise<string> {
  lease ??= (async () => {
    const row = await insertOne('ProcessLease', { expiresAt: inFuture(LEASE_MS), pid: process.pid, host: hostname(), ACL: {} });
    validUntil = Date.now() + LEASE_MS;
    keepRenewing(row.objectId);
    return row.objectId;
  })();
  lease.catch(() => (lease = undefined));
  return lease;
}

/** Gives the lease back on a clean stop, once no checkout of this process is in flight. */
export async function releaseMyLease(): Promise<void> {
  if (!lease) return;
  clearInterval(renewTimer);
  const id = await lease.catch(() => null);
  lease = undefined;
  if (id) await deleteWhere('ProcessLease', { objectId: id });
}

/** Ends a lease now: its process is known to be dead (the supervisor saw it exit). */
export async function endLease(id: string): Promise<void> {
  await updateOne('ProcessLease', { objectId: id }, { expiresAt: dateValue(new Date(0)) });
}

/** Whether the process holding this lease may still be running a checkout. */
export async function isLive(owner: string | undefined): Promise<boolean> {
  if (!owner || owner === NO_OWNER) return false;
  const rows = await findRows('ProcessLease', { objectId: owner, expiresAt: { $gt: dateValue(new Date()) } }, { limit: 1, keys: ['objectId'] });
  return rows.length > 0;
}

/** Leases that lapsed: their processes died. */
export async function lapsedLeases(): Promise<string[]> {
  const rows = await findRows('ProcessLease', { expiresAt: { $lt: dateValue(new Date()) } }, { limit: 100, keys: ['objectId'] });
  return rows.map((row) => row.objectId);
}

/** Forgets a lapsed lease once nothing of its owner is left to settle. */
export async function forgetLease(id: string): Promise<void> {
  await deleteWhere('ProcessLease', { objectId: id, expiresAt: { $lt: dateValue(new Date()) } });
}
