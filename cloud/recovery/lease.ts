/**
 * Each server process holds a lease: a ProcessLease row whose expiresAt it pushes forward every
 * second. Every checkout record names the lease of the process running it, so when a process dies
 * (kill -9 included) its lease lapses and any live process settles that owner's pending checkouts
 * (settle.ts). A process that finds its own lease lapsed (it stalled, or the database was slow for
 * longer than the lease) renews it and looks at the checkouts it is running: if another process
 * took any of them over, it stops at once, since it must not write for checkouts being settled
 * elsewhere; otherwise nothing was lost and it goes on.
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

/** Whether every checkout this process is running is still its own (none was taken over while its lease lapsed). */
let stillOwned: (owner: string) => Promise<boolean> = async () => true;

/** Set by checkout-keys.ts, which knows the checkouts running here (a callback avoids an import cycle). */
export function checkOwnershipWith(check: (owner: string) => Promise<boolean>): void {
  stillOwned = check;
}

async function renew(id: string): Promise<void> {
  const sentAt = Date.now();
  // Renewed only while it has not lapsed: once it lapsed, other processes may act on it.
  if (await updateOne('ProcessLease', { objectId: id, expiresAt: { $gt: dateValue(new Date()) } }, { expiresAt: inFuture(LEASE_MS) })) {
    validUntil = sentAt + LEASE_MS;
    return;
  }
  // Lapsed (a stall, a slow database): take it back, then make sure nobody took over a checkout of ours meanwhile.
  if (!(await updateOne('ProcessLease', { objectId: id }, { expiresAt: inFuture(LEASE_MS) }))) leaseLost(id, 'its row was removed');
  if (!(await stillOwned(id))) leaseLost(id, 'another process took over a checkout it was running');
  console.warn(`Process lease ${id} had lapsed; no checkout of this process was taken over, so it goes on.`);
  validUntil = sentAt + LEASE_MS;
}

function keepRenewing(id: string): void {
  let renewing = false;
  renewTimer = setInterval(async () => {
    if (renewing) return;
    renewing = true;
    try {
      await renew(id);
    } catch (error) {
      if (Date.now() > validUntil + LEASE_MS) console.error(`Renewing process lease ${id} keeps failing`, error);
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
