/**
 * What every beforeSave and beforeFind runs first (see report.ts): the changed fields, or the find's
 * constraints, checked against the running server's schema, so that cloud code is enough on its own
 * on a host without our express guard. Parse Server runs these triggers before its own schema
 * validation, so a trigger otherwise sees text in a Number field, null for a field with a default
 * (HTTP 500 from Parse later), or a value that cannot even be encoded again (which took the process
 * down when Parse logged the refusal).
 */
import { UNIQUE_INDEXES } from '../setup/unique-indexes';
import { loadedSchema } from './db';
import { failField } from './errors';
import { INTERNAL_FIELDS, PARSE_INDEXED_FIELDS } from './internal-fields';
import { checkFindOptions, checkWhere } from './rest-queries';
import { type ClassSpec, checkObjectWrite, classSpec, isRecord, typeRule } from './rest-values';

type RunningSchema = Awaited<ReturnType<typeof loadedSchema>>;
interface ClassSchema {
  fields: Record<string, { type: string; targetClass?: string; required?: boolean }>;
  indexes?: Record<string, Record<string, unknown>>;
}

const specs = new WeakMap<RunningSchema, Map<string, Promise<ClassSpec | undefined>>>();

function indexedFields(className: string, schema: ClassSchema): string[] {
  return [
    ...Object.values(schema.indexes ?? {}).flatMap((index) => Object.keys(index)),
    ...(PARSE_INDEXED_FIELDS[className] ?? []),
    ...UNIQUE_INDEXES.filter((index) => index.className === className).flatMap((index) => index.fields),
  ];
}

/** The class's fields in the running schema (reused while the loaded schema is). */
async function specOf(className: string): Promise<ClassSpec | undefined> {
  const schema = await loadedSchema();
  let byClass = specs.get(schema);
  if (!byClass) specs.set(schema, (byClass = new Map()));
  let spec = byClass.get(className);
  if (!spec) {
    spec = schema
      .getOneSchema(className, true)
      .then((one) => classSpec((one as ClassSchema).fields, indexedFields(className, one as ClassSchema)))
      .catch(() => undefined);
    byClass.set(className, spec);
  }
  return spec;
}

interface SaveRequest {
  object: Parse.Object;
  master?: boolean;
}

/**
 * Refuses (142 naming the field) a save whose changed fields do not fit the class: a value of the
 * wrong type or one that cannot be encoded, an operation that does not fit the field, null for a
 * typed field, or server bookkeeping written without the master key.
 */
export async function checkSavedFields(className: string, req: SaveRequest): Promise<void> {
  const fields = await specOf(className);
  const changes: Record<string, unknown> = {};
  for (const key of req.object.dirtyKeys()) {
    if (!req.master && INTERNAL_FIELDS[className]?.includes(key)) failField(key, 'is maintained by the server');
    const op = req.object.op(key);
    if (!op) continue;
    try {
      changes[key] = op.toJSON();
    } catch {
      // A whole object without an id, an invalid Date, an unsaved File: nothing Parse could store.
      const spec = fields?.[key];
      failField(key, spec ? typeRule(spec) : 'is not a value that can be saved');
    }
  }
  // A field the running schema lacks is Parse's to refuse or add (a host may not lock its schema).
  const found = checkObjectWrite(className, fields, changes, '', 'check');
  if (found) failField(found.field, found.rule);
}

/** The classes a where names in subqueries ($inQuery, $select, ...), to load their fields too. */
function classesIn(where: unknown, into: Set<string>, depth = 0): Set<string> {
  if (depth > 8 || where === null || typeof where !== 'object') return into;
  if (isRecord(where) && typeof where.className === 'string') into.add(where.className);
  for (const value of Object.values(where)) classesIn(value, into, depth + 1);
  return into;
}

interface FindQuery {
  className: string;
  /** Parse.Query keeps skip as given; a negative one reached PostgreSQL as OFFSET -5 (HTTP 500). */
  _skip?: unknown;
  toJSON(): { where?: unknown };
}

/**
 * Refuses (142 naming the place) a find whose constraints do not fit the fields they are on. Some
 * malformed finds fail in Parse Server before any trigger runs (a `limit` of text); only the
 * express guard sees those.
 */
export async function checkFindQuery(query: FindQuery): Promise<void> {
  const { where } = query.toJSON();
  const loaded = new Map<string, ClassSpec | undefined>();
  for (const name of classesIn(where, new Set([query.className]))) loaded.set(name, await specOf(name));
  const found = checkWhere((name) => loaded.get(name), query.className, where ?? {}, 'where', 0, 'check') ?? checkFindOptions({ skip: query._skip });
  if (found) failField(found.field, found.rule);
}

/**
 * Parse Server logs the object of every beforeSave it runs (`object.toJSON()`, outside any error
 * handler); an object holding a value that cannot be encoded made that throw and the process exit.
 * This object then logs as its class and id instead.
 */
export function keepLoggable(object: Parse.Object): void {
  const toJSON = object.toJSON.bind(object);
  object.toJSON = ((...args: Parameters<typeof toJSON>) => {
    try {
      return toJSON(...args);
    } catch {
      return { className: object.className, objectId: object.id, unencodable: true } as unknown as ReturnType<typeof toJSON>;
    }
  }) as typeof object.toJSON;
}
