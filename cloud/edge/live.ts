/**
 * Live Query publishing for writes made through the storage adapter: Parse Server publishes only
 * writes that go through its REST layer, so the modules that write atomically call this.
 */
import { loadedSchema, serverInternals } from './server-internals';

/** Sends a `create` event for a row inserted through the storage adapter. */
export async function publishCreate(className: string, row: Record<string, unknown> & { objectId: string }): Promise<void> {
  const { liveQueryController } = serverInternals();
  if (!liveQueryController?.hasLiveQuery(className)) return;
  const perms = (await loadedSchema()).getClassLevelPermissions(className);
  liveQueryController.onAfterSave(className, Parse.Object.fromJSON({ className, ...row }, true), null, perms);
}

/** Sends an `update` event for `className` with the object before and after the write. */
export async function publishUpdate(
  className: string,
  after: Record<string, unknown> & { objectId: string },
  before: Record<string, unknown>,
): Promise<void> {
  const { liveQueryController } = serverInternals();
  if (!liveQueryController?.hasLiveQuery(className)) return;
  const perms = (await loadedSchema()).getClassLevelPermissions(className);
  const current = Parse.Object.fromJSON({ className, ...after }, true);
  const original = Parse.Object.fromJSON({ className, ...after, ...before }, true);
  liveQueryController.onAfterSave(className, current, original, perms);
}
