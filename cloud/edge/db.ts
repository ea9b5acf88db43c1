/**
 * The one door to Parse Server's private internals, for what the SDK cannot do: a conditional
 * atomic update (UPDATE ... WHERE stock >= n RETURNING *, findOneAndUpdate on MongoDB), inserts and
 * deletes without triggers, internal reads without the REST round trip, unique indexes, and Live
 * Query publishing of such writes. Only the modules that own an invariant (invariants/, the cart
 * store, the save lease), recovery, the record loaders and Live Query publishing import it
 * (test/unit/db-door.test.ts keeps it so); test/integration/db.contract.int.test.ts pins every
 * private call it makes, so a Parse Server upgrade names what broke.
 */
import { randomFillSync } from 'node:crypto';
import { UNIQUE_INDEXES } from '../setup/unique-keys';
import type { Row } from './rows';
import { allOrNothingStatement, type BatchFind, type FieldTypes, findsStatement, type GuardedWrite, NOT_ALL_WRITES_HELD, returnsRow, rowsFromJSON } from './sql-batch';

export type { Row };
export type { BatchFind, GuardedWrite };

/** One write of an all-or-nothing batch and what to announce once the batch has landed (with the row the write returned). */
export interface BatchPart {
  write: GuardedWrite;
  announce?(row: Row): Promise<void> | void;
}

export interface SchemaController {
  getClassLevelPermissions(className: string): unknown;
  getOneSchema(className: string, allowVolatileClasses?: boolean): Promise<{ fields: Record<string, { type: string; targetClass?: string }> }>;
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
    /** PostgreSQL only: pg-promise's database object and library. */
    _client?: { one(query: unknown): Promise<Record<string, unknown>> };
    _pgp?: {
      PreparedStatement: new (options: { name: string; text: string; values: unknown[] }) => unknown;
      ParameterizedQuery: new (options: { text: string; values: unknown[] }) => unknown;
    };
  };
}

/** What Live Query's publisher reads of a saved object: its full JSON (className and __type included). */
export interface LiveObject {
  className: string;
  _toFullJSON(): Record<string, unknown>;
}

export interface LiveQueryController {
  hasLiveQuery(className: string): boolean;
  onAfterSave(className: string, current: LiveObject, original: LiveObject | null, perms: unknown): void;
}

interface HostConfig {
  database: DatabaseController;
  liveQueryController: LiveQueryController;
}

let host: HostConfig | undefined;

/**
 * The running Parse Server's controllers for this app, through the global `Parse.Server` that the
 * host sets up (requiring parse-server/lib/... from cloud code would load a second, empty copy on
 * someone else's server). Every access of `Parse.Server` builds a new Config, so the first is kept:
 * the schema is defined and locked, and both controllers are stateless between calls.
 */
function hostConfig(): HostConfig {
  if (host) return host;
  const config = (Parse as unknown as { Server?: HostConfig }).Server;
  if (!config?.database) throw new Error('Parse Server is not running in this process');
  host = { database: config.database, liveQueryController: config.liveQueryController };
  return host;
}

const SCHEMA_REUSE_MS = 30_000;
let schemaCache: { loaded: Promise<SchemaController>; at: number } | undefined;

/**
 * Parse Server loads the schema for every database operation. Internal operations reuse one loaded
 * schema for a while: the schema is defined at start-up and locked.
 */
export function loadedSchema(): Promise<SchemaController> {
  if (!schemaCache || Date.now() - schemaCache.at > SCHEMA_REUSE_MS) {
    const loaded = hostConfig().database.loadSchema();
    schemaCache = { loaded, at: Date.now() };
    loaded.catch(() => (schemaCache = undefined));
  }
  return schemaCache.loaded;
}

/** Live Query's controller of this server, and the class's CLP to publish with. */
export async function liveQuery(className: string): Promise<{ controller: LiveQueryController; perms: unknown } | null> {
  const controller = hostConfig().liveQueryController;
  if (!controller?.hasLiveQuery(className)) return null;
  return { controller, perms: (await loadedSchema()).getClassLevelPermissions(className) };
}

/** Rows as the master key sees them, in REST format; no triggers, ACLs or SDK round trip. */
export async function findRows(
  className: string,
  where: Record<string, unknown>,
  options: { limit?: number; skip?: number; sort?: Record<string, 1 | -1>; keys?: string[] } = {},
): Promise<Row[]> {
  return hostConfig().database.find(className, where, { limit: 1000, ...options }, {}, await loadedSchema());
}

const OBJECT_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const OBJECT_ID_LENGTH = 10;
/** Random bytes for a few hundred ids: one system call each time it runs out, not one per id. */
const randomBytesPool = Buffer.alloc(OBJECT_ID_LENGTH * 256);
let randomBytesUsed = randomBytesPool.length;

/** An objectId in Parse's own form (10 alphanumerics, from random bytes as Parse draws them). */
export function newObjectId(): string {
  if (randomBytesUsed + OBJECT_ID_LENGTH > randomBytesPool.length) {
    randomFillSync(randomBytesPool);
    randomBytesUsed = 0;
  }
  let id = '';
  for (let i = 0; i < OBJECT_ID_LENGTH; i++) id += OBJECT_ID_CHARS[randomBytesPool[randomBytesUsed++] % OBJECT_ID_CHARS.length];
  return id;
}

/**
 * Inserts one row as the master key, skipping triggers and Live Query (callers publish what
 * subscribers must see). Returns the row with its objectId and timestamps; a unique index
 * violation rejects with DUPLICATE_VALUE (137).
 */
export async function insertOne(className: string, fields: Record<string, unknown>): Promise<Row> {
  const row = newRow(fields);
  await hostConfig().database.create(className, { ...row }, {}, false, await loadedSchema());
  return row;
}

/** `fields` as a new row: a new objectId, and timestamps of now. */
export function newRow(fields: Record<string, unknown>): Row {
  const now = new Date().toISOString();
  return { ...fields, objectId: newObjectId(), createdAt: now, updatedAt: now };
}

const isPlainValue = (value: unknown) => value !== undefined && (typeof value !== 'object' || value === null || '__type' in (value as object));

/** Throws unless `where` pins one row: its objectId, or every field of one of the class's unique indexes. */
export function assertUniqueKey(className: string, where: Record<string, unknown>): void {
  if (typeof where.objectId === 'string') return;
  const keys = UNIQUE_INDEXES.filter((index) => index.className === className).map((index) => index.fields);
  if (keys.some((fields) => fields.every((field) => isPlainValue(where[field])))) return;
  throw new Error(`updateOne(${className}) needs objectId or a unique key in its condition, got ${Object.keys(where).join(', ') || 'none'}: on PostgreSQL the adapter would update every matching row`);
}

/**
 * One conditional atomic write of the row that `where` pins (objectId or a unique key; more
 * conditions may follow): applies `update` (REST operations such as Increment) and returns the row
 * as updated, or null when no row matched. The database settles races.
 */
export async function updateOne(className: string, where: Record<string, unknown>, update: Record<string, unknown>): Promise<Row | null> {
  assertUniqueKey(className, where);
  try {
    const row = await hostConfig().database.update(className, where, { ...update, updatedAt: new Date().toISOString() }, {}, true, false, await loadedSchema());
    return (row as Row | undefined) ?? null;
  } catch (error) {
    if (error instanceof Parse.Error && error.code === Parse.Error.OBJECT_NOT_FOUND) return null;
    throw error;
  }
}

type PgPromise = NonNullable<DatabaseController['adapter']['_pgp']>;

/** The PostgreSQL adapter's pg-promise database and library, or null on another database. */
function postgres(): { client: NonNullable<DatabaseController['adapter']['_client']>; pgp: PgPromise } | null {
  const { _client: client, _pgp: pgp } = hostConfig().database.adapter;
  return client && pgp ? { client, pgp } : null;
}

/** Whether writeAllOrNothing can run here: on PostgreSQL (not on MongoDB, whose callers write one by one). */
export function canWriteAllOrNothing(): boolean {
  return postgres() !== null;
}

const fieldTypes = new Map<string, FieldTypes>();

async function fieldTypesOf(classNames: string[]): Promise<(className: string) => FieldTypes> {
  const missing = classNames.filter((name) => !fieldTypes.has(name));
  if (missing.length) {
    const schema = await loadedSchema();
    for (const name of missing) {
      const { fields } = await schema.getOneSchema(name, false);
      fieldTypes.set(name, fields);
    }
  }
  return (className) => fieldTypes.get(className)!;
}

const statementNames = new Map<string, string>();
/** Each connection keeps what it prepared: past this many texts (unusual shapes), statements are not named. */
const MOST_NAMED_STATEMENTS = 200;

/**
 * A statement PostgreSQL parses and plans once per connection: a batch's text depends only on its
 * shape (which writes, which columns), so a few texts serve every checkout, and planning a
 * statement of several CTEs each time was a good part of its cost.
 */
function prepared(pgp: PgPromise, { text, values }: { text: string; values: unknown[] }) {
  let name = statementNames.get(text);
  if (!name && statementNames.size < MOST_NAMED_STATEMENTS) {
    name = `shop_batch_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name ? new pgp.PreparedStatement({ name, text, values }) : new pgp.ParameterizedQuery({ text, values });
}

/**
 * Several finds in one round trip on PostgreSQL (one statement), in parallel elsewhere: each
 * answers as findRows would, in order, except that a row always carries its objectId (findRows
 * leaves it out when `keys` do not name it).
 */
export async function findRowsAtOnce(finds: BatchFind[]): Promise<Row[][]> {
  if (finds.length === 0) return [];
  const pg = postgres();
  if (!pg) {
    return Promise.all(finds.map(({ className, where, keys, ...options }) => findRows(className, where, { ...options, ...(keys ? { keys: ['objectId', ...keys] } : {}) })));
  }
  const typesOf = await fieldTypesOf([...new Set(finds.map((find) => find.className))]);
  const answer = await pg.client.one(prepared(pg.pgp, findsStatement(finds, typesOf)));
  return finds.map((find, i) => rowsFromJSON(answer[`f${i}`] as Array<Record<string, unknown>>, typesOf(find.className)) as Row[]);
}

/** PostgreSQL answers these when a write of the batch could not land; nothing of the batch did. */
const NOT_LANDED = new Set([
  NOT_ALL_WRITES_HELD,
  '23505', // unique_violation: a row with that unique key exists
  '40P01', // deadlock_detected: the other statement went on
]);

/**
 * Lands every write or none, in one statement (see sql-batch.ts): returns what each write
 * returned, in order (objectId and its `returning` columns, in REST format as findRows gives
 * them), or null when a condition did not hold or a unique key was taken. Only where
 * canWriteAllOrNothing().
 */
export async function writeAllOrNothing(writes: GuardedWrite[]): Promise<Row[] | null> {
  for (const write of writes) if (write.kind === 'update') assertUniqueKey(write.className, write.where);
  const pg = postgres();
  if (!pg) throw new Error('writeAllOrNothing needs the PostgreSQL storage adapter');
  const typesOf = await fieldTypesOf([...new Set(writes.map((write) => write.className))]);
  try {
    const answer = await pg.client.one(prepared(pg.pgp, allOrNothingStatement(writes, typesOf, new Date().toISOString())));
    return writes.map((write, i) =>
      returnsRow(write) ? (rowsFromJSON([answer[`w${i}`] as Record<string, unknown>], typesOf(write.className))[0] as Row) : ({ objectId: answer[`w${i}`] } as Row),
    );
  } catch (error) {
    if (NOT_LANDED.has((error as { code?: string }).code ?? '')) return null;
    throw error;
  }
}

/** Deletes the rows matching `where` (no triggers); true when at least one was deleted. */
export async function deleteWhere(className: string, where: Record<string, unknown>): Promise<boolean> {
  try {
    await hostConfig().database.destroy(className, where, {}, await loadedSchema());
    return true;
  } catch (error) {
    if (error instanceof Parse.Error && error.code === Parse.Error.OBJECT_NOT_FOUND) return false;
    throw error;
  }
}

/**
 * Creates a unique index; both storage adapters support it. Idempotent. Returns false when the
 * class does not exist yet (a host without our defined schema: apply schema/ first).
 */
export async function ensureUniqueIndex(className: string, fieldNames: string[]): Promise<boolean> {
  const { database } = hostConfig();
  // MongoDB names pointer columns _p_<field>: the adapter needs the class's fields to know which.
  const schema = await (await database.loadSchema()).getOneSchema(className, false).catch(() => null);
  if (!schema) return false;
  await database.adapter.ensureUniqueness(className, schema, fieldNames);
  return true;
}
