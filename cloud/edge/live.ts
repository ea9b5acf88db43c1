/**
 * Live Query publishing for writes made through the storage adapter: Parse Server publishes only
 * writes that go through its REST layer, so the modules that write atomically call this.
 *
 * A checkout's events wait until it has completed (SPEC 9: an order or a stock change that a failed
 * checkout undoes again is never announced): inside `holdingEvents`, publishes are collected and
 * sent by `releaseEvents`, or dropped with the checkout.
 *
 * A row with a `version` (Inventory) is sent in version order from this process: concurrent writes
 * finish their publishes in any order, so an event older than one already sent is dropped (SPEC 9
 * allows skipping only such an event; the newer one carries the later state). Events from other
 * processes are ordered where they are delivered (scripts/server/live-query-internals.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { NewestVersions } from '../domain/version-order';
import { type LiveObject, liveQuery } from './db';

type Publish = () => Promise<void>;

/** The events of one checkout, in the order its writes landed. */
export interface HeldEvents {
  pending: Publish[];
}

const held = new AsyncLocalStorage<HeldEvents>();

/** Runs `work` with every publish it makes held in `events` until releaseEvents. */
export function holdingEvents<T>(events: HeldEvents, work: () => Promise<T>): Promise<T> {
  return held.run(events, work);
}

/** Sends the held events, in order, and forgets them. */
export async function releaseEvents(events: HeldEvents): Promise<void> {
  const pending = events.pending.splice(0);
  for (const publish of pending) await publish().catch((error) => console.error('A Live Query publish failed', error));
}

function publishOrHold(publish: Publish): Promise<void> {
  const events = held.getStore();
  if (events) {
    events.pending.push(publish);
    return Promise.resolve();
  }
  return publish();
}

/**
 * A row as Live Query's publisher takes it: it only asks the object for its full JSON, which for a
 * row in REST format is the row with its class. (A Parse.Object, built and encoded again for
 * this, cost a fifth of each event's work.)
 */
function liveObject(className: string, row: Record<string, unknown>): LiveObject {
  return { className, _toFullJSON: () => ({ ...row, className, __type: 'Object' }) };
}

/** Sends a `create` event for a row inserted through the storage adapter. */
export function publishCreate(className: string, row: Record<string, unknown> & { objectId: string }): Promise<void> {
  return publishOrHold(async () => {
    // With the class's CLP: without it, Parse skips CLP and protected-field checks for the event.
    const live = await liveQuery(className);
    live?.controller.onAfterSave(className, liveObject(className, row), null, live.perms);
  });
}

/** Add to every write that changes what a versioned row's subscribers see, in the same update. */
export const NEXT_VERSION = { version: { __op: 'Increment', amount: 1 } } as const;

/** The newest version this process has sent per row, by `className:objectId`. */
const newestSent = new NewestVersions();

/** Sends an `update` event for `className` with the object before and after the write. */
export function publishUpdate(
  className: string,
  after: Record<string, unknown> & { objectId: string },
  before: Record<string, unknown>,
): Promise<void> {
  return publishOrHold(async () => {
    const live = await liveQuery(className);
    if (!live || !newestSent.admit(`${className}:${after.objectId}`, after.version)) return;
    live.controller.onAfterSave(className, liveObject(className, after), liveObject(className, { ...after, ...before }), live.perms);
  });
}
