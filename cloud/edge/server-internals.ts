/**
 * Parse Server's own controllers, for the two things the SDK cannot do: a conditional atomic
 * update (UPDATE ... WHERE stock >= n) and publishing such a write to Live Query subscribers.
 * Both storage adapters (Postgres and MongoDB) implement these operations.
 */

interface SchemaController {
  getClassLevelPermissions(className: string): unknown;
  getOneSchema(className: string, allowVolatileClasses?: boolean): Promise<{ fields: Record<string, unknown> }>;
}

// The last parameter of each is a schema controller to use instead of loading the schema again.
interface DatabaseController {
  update(
    className: string,
    where: Record<string, unknown>,
    update: Record<string, unknown>,
    options: Record<string, unknown>,
    skipSanitization: boolean,
    validateOnly: boolean,
    schema: SchemaController,
  ): Promise<Record<string, unknown> | undefined>;
  loadSchema(): Promise<SchemaController>;
  destroy(className: string, where: Record<string, unknown>, options: Record<string, unknown>, schema: SchemaController): Promise<unknown>;
  create(className: string, object: Record<string, unknown>, options: Record<string, unknown>, validateOnly: boolean, schema: SchemaController): Promise<unknown>;
  find(className: string, where: Record<string, unknown>, options: Record<string, unknown>, auth: Record<string, unknown>, schema: SchemaController): Promise<Row[]>;
  adapter: {
    ensureUniqueness(className: string, schema: unknown, fieldNames: string[]): Promise<void>;
  };
}

interface LiveQueryController {
  hasLiveQuery(className: string): boolean;
  onAfterSave(className: string, current: Parse.Object, original: Parse.Object | null, perms: unknown): void;
}

export interface ServerInternals {
  database: DatabaseController;
  liveQueryController: LiveQueryController;
}

let internals: ServerInternals | undefined;

/**
 * The running Parse Server's database and live query controllers for this app. Config.get builds a
 * new controller (and reloads the schema) on every call, so the first one is kept: the schema is
 * defined at start-up and locked, and both controllers are stateless between calls.
 */
export function serverInternals(): ServerInternals {
  if (internals) return internals;
  // Required lazily: cloud code is loaded by the Parse Server that owns these modules.
  const Config = require('parse-server/lib/Config') as { get(appId: string): ServerInternals | undefined };
  const config = Config.get(Parse.applicationId ?? '');
  if (!config?.database) throw new Error('Parse Server is not running in this process');
  internals = { database: config.database, liveQueryController: config.liveQueryController };
  return internals;
}

export type Row = Record<string, any> & { objectId: string };

const SCHEMA_REUSE_MS = 30_000;
let schemaCache: { loaded: Promise<SchemaController>; at: number } | undefined;

/**
 * Parse Server loads the schema for every database operation (per request, in its own pipeline).
 * Our internal operations reuse one loaded schema for a while: the schema is defined at start-up
 * and locked, so it does not change under a running server.
 */
export function loadedSchema(): Promise<SchemaController> {
  if (!schemaCache || Date.now() - schemaCache.at > SCHEMA_REUSE_MS) {
    const loaded = serverInternals().database.loadSchema();
    schemaCache = { loaded, at: Date.now() };
    loaded.catch(() => (schemaCache = undefined));
  }
  return schemaCache.loaded;
}

/**
 * Reads rows straight from the database controller, as the master key, in REST format (pointers as
 * { __type: 'Pointer', objectId }, dates as { __type: 'Date', iso }). Internal reads use this rather
 * than Parse.Query: no triggers, ACLs or SDK round trip, which matters on the checkout hot path.
 */
export async function findRows(
  className: string,
  where: Record<string, unknown>,
  options: { limit?: number; skip?: number; sort?: Record<string, 1 | -1>; keys?: string[] } = {},
): Promise<Row[]> {
  const { database } = serverInternals();
  return database.find(className, where, { limit: 1000, ...options }, {}, await loadedSchema());
}

/**
 * Inserts one row as the master key, skipping triggers and Live Query (callers publish what subscribers
 * must see). `fields` are in REST format. Returns the row with its objectId and timestamps; a unique
 * index violation rejects with DUPLICATE_VALUE (137).
 */
export async function insertRow(className: string, fields: Record<string, unknown>): Promise<Row> {
  const { database } = serverInternals();
  const { newObjectId } = require('parse-server/lib/cryptoUtils') as { newObjectId(size?: number): string };
  const now = new Date().toISOString();
  const row = { ...fields, objectId: newObjectId(), createdAt: now, updatedAt: now };
  await database.create(className, { ...row }, {}, false, await loadedSchema());
  return row;
}

export const pointerTo = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
export const dateValue = (date: Date) => ({ __type: 'Date', iso: date.toISOString() });
/** A Date field of a row from findRows. */
export const dateOf = (value: { iso: string } | string | undefined) =>
  value === undefined ? undefined : new Date(typeof value === 'string' ? value : value.iso);

/**
 * One conditional atomic write: applies `update` (REST operations such as Increment) to the single
 * row matching `where`, and returns the updated row, or null when no row matched. The database
 * settles races: two callers can never both see the same pre-image.
 */
export async function updateWhere(
  className: string,
  where: Record<string, unknown>,
  update: Record<string, unknown>,
): Promise<Row | null> {
  const { database } = serverInternals();
  try {
    const row = await database.update(className, where, { ...update, updatedAt: new Date().toISOString() }, {}, true, false, await loadedSchema());
    return (row as Row | undefined) ?? null;
  } catch (error) {
    if (error instanceof Parse.Error && error.code === Parse.Error.OBJECT_NOT_FOUND) return null;
    throw error;
  }
}

/**
 * Creates a unique index; both storage adapters support it. Idempotent. Returns false when the
 * class does not exist yet (a host without our defined schema: apply schema/ first).
 */
export async function ensureUniqueIndex(className: string, fieldNames: string[]): Promise<boolean> {
  const { database } = serverInternals();
  // MongoDB names pointer columns _p_<field>: the adapter needs the class's fields to know which.
  const schema = await (await database.loadSchema())
    .getOneSchema(className, false)
    .catch(() => null);
  if (!schema) return false;
  await database.adapter.ensureUniqueness(className, schema, fieldNames);
  return true;
}

/** Deletes the rows matching `where` (no triggers); true when at least one was deleted. */
export async function deleteWhere(className: string, where: Record<string, unknown>): Promise<boolean> {
  const { database } = serverInternals();
  try {
    await database.destroy(className, where, {}, await loadedSchema());
    return true;
  } catch (error) {
    if (error instanceof Parse.Error && error.code === Parse.Error.OBJECT_NOT_FOUND) return false;
    throw error;
  }
}
