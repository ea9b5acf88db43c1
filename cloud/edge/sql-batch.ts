/**
 * Several finds, or several conditional writes, as one PostgreSQL statement, so that what a
 * request needs costs one round trip.
 *
 * Writes land all of them or none: each write is a data-modifying CTE, and the statement divides
 * by the product of their row counts, so a write that matched nothing (a condition that no longer
 * holds) raises division_by_zero and PostgreSQL rolls the whole statement back. One round trip,
 * and the hot rows stay locked only while the statement runs inside the database.
 *
 * Pure: it builds text and values in the columns' encoding of Parse's PostgreSQL adapter (pointers
 * as the objectId, dates as timestamptz, arrays and objects as jsonb, ACL as _rperm/_wperm), and
 * reads rows back into REST format, for the small set of conditions and operations the loaders and
 * invariant modules use; anything else throws.
 */
export type FieldTypes = Readonly<Record<string, { type: string; targetClass?: string }>>;

/** A find of a batch: as findRows takes it, with a limit. */
export interface BatchFind {
  className: string;
  where: Record<string, unknown>;
  limit: number;
  keys?: string[];
  sort?: Record<string, 1 | -1>;
}

/** Inserts `row` (with its objectId and timestamps); a unique index violation fails the statement. */
export interface InsertWrite {
  kind: 'insert';
  className: string;
  row: Record<string, unknown>;
}

/** Changes the one row `where` pins, only if all of `where` holds; `returning` columns come back. */
export interface UpdateWrite {
  kind: 'update';
  className: string;
  where: Record<string, unknown>;
  update: Record<string, unknown>;
  returning?: string[];
}

/** Inserts `row`, or when its `conflict` key exists, applies `update` to that row if `where` holds. */
export interface UpsertWrite {
  kind: 'upsert';
  className: string;
  row: Record<string, unknown>;
  conflict: string[];
  update: Record<string, unknown>;
  where: Record<string, unknown>;
  returning?: string[];
}

/**
 * Writes nothing: holds only while a row matches `where` when the statement runs. With `lock`,
 * the row `where.objectId` names is locked (FOR UPDATE) and the rest of `where` is asked of it then:
 * the check waits for writes in flight on the row and looks at the row they leave, rather than at
 * the row as it was when the statement began.
 */
export interface CheckWrite {
  kind: 'check';
  className: string;
  where: Record<string, unknown>;
  lock?: boolean;
}

export type GuardedWrite = InsertWrite | UpdateWrite | UpsertWrite | CheckWrite;

/** Whether the statement answers the row a write returned (its `returning` columns), or only its objectId. */
export function returnsRow(write: GuardedWrite): boolean {
  return 'returning' in write && (write.returning?.length ?? 0) > 0;
}

/** PostgreSQL's answer when one of the writes matched no row. */
export const NOT_ALL_WRITES_HELD = '22012';

const NAME = /^[A-Za-z_][A-Za-z0-9_:]*$/;

function quoted(name: string): string {
  if (!NAME.test(name)) throw new Error(`Not a column or class name: ${name}`);
  return `"${name}"`;
}

type Encoded = { value: unknown; cast: string };

function isOp(value: unknown, type: string): value is Record<string, any> {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).__type === type;
}

/** The Parse type of a field, Parse's own columns included. */
function typeOf(field: string, types: FieldTypes): string | undefined {
  return field === 'createdAt' || field === 'updatedAt' ? 'Date' : field === 'objectId' ? 'String' : types[field]?.type;
}

/** A REST value in the column encoding of Parse's PostgreSQL adapter. */
function encode(className: string, field: string, value: unknown, types: FieldTypes): Encoded {
  const type = typeOf(field, types);
  if (value === null) return { value: null, cast: '' };
  switch (type) {
    case 'Pointer':
      if (!isOp(value, 'Pointer')) throw new Error(`${className}.${field} needs a Pointer`);
      return { value: value.objectId, cast: '' };
    case 'Date':
      return { value: isOp(value, 'Date') ? value.iso : value, cast: '::timestamptz' };
    case 'Array':
    case 'Object':
      return { value: JSON.stringify(value), cast: '::jsonb' };
    case 'String':
    case 'Number':
    case 'Boolean':
      if (typeof value === 'object') throw new Error(`${className}.${field} is a ${type}, not ${JSON.stringify(value)}`);
      return { value, cast: '' };
    default:
      throw new Error(`${className}.${field}: field type ${type ?? '(not in the schema)'} is not supported here`);
  }
}

/** Parse's ACL columns for a REST ACL object. */
function aclColumns(acl: Record<string, { read?: boolean; write?: boolean }>): Array<[string, unknown]> {
  const entries = Object.entries(acl);
  return [
    ['_rperm', entries.filter(([, p]) => p.read).map(([who]) => who)],
    ['_wperm', entries.filter(([, p]) => p.write).map(([who]) => who)],
  ];
}

class Statement {
  readonly values: unknown[] = [];

  param(encoded: Encoded): string {
    this.values.push(encoded.value);
    return `$${this.values.length}${encoded.cast}`;
  }

  insertColumns(className: string, row: Record<string, unknown>, types: FieldTypes): { columns: string; values: string } {
    const columns: string[] = [];
    const values: string[] = [];
    for (const [field, value] of Object.entries(row)) {
      if (value === undefined) continue;
      if (field === 'ACL') {
        for (const [column, list] of aclColumns(value as Record<string, { read?: boolean; write?: boolean }>)) {
          columns.push(quoted(column));
          values.push(this.param({ value: list, cast: '::text[]' }));
        }
        continue;
      }
      columns.push(quoted(field));
      values.push(this.param(encode(className, field, value, types)));
    }
    return { columns: columns.join(', '), values: values.join(', ') };
  }

  assignments(className: string, update: Record<string, unknown>, types: FieldTypes, now: string): string {
    const table = quoted(className);
    const sets = Object.entries({ ...update, updatedAt: now }).map(([field, value]) => {
      const column = quoted(field);
      if (typeof value === 'object' && value !== null && (value as { __op?: string }).__op === 'Increment') {
        return `${column} = COALESCE(${table}.${column}, 0) + ${this.param({ value: Number((value as { amount: number }).amount), cast: '' })}`;
      }
      if (typeof value === 'object' && value !== null && '__op' in value) throw new Error(`${className}.${field}: operation ${(value as { __op: string }).__op} is not supported here`);
      return `${column} = ${this.param(encode(className, field, value, types))}`;
    });
    return sets.join(', ');
  }

  conditions(className: string, where: Record<string, unknown>, types: FieldTypes): string {
    const table = quoted(className);
    const comparisons: Record<string, string> = { $gte: '>=', $lte: '<=', $gt: '>', $lt: '<' };
    const parts = Object.entries(where).flatMap(([field, condition]) => {
      const column = `${table}.${quoted(field)}`;
      const isComparison = typeof condition === 'object' && condition !== null && !('__type' in condition);
      if (!isComparison) return [`${column} = ${this.param(encode(className, field, condition, types))}`];
      return Object.entries(condition as Record<string, unknown>).map(([op, operand]) => {
        if (op === '$in') {
          const list = (operand as unknown[]).map((item) => encode(className, field, item, types));
          const cast = typeOf(field, types) === 'Number' ? 'double precision[]' : list[0]?.cast === '::timestamptz' ? 'timestamptz[]' : 'text[]';
          return `${column} = ANY(${this.param({ value: list.map((item) => item.value), cast: `::${cast}` })})`;
        }
        if (!comparisons[op]) throw new Error(`${className}.${field}: condition ${op} is not supported here`);
        return `${column} ${comparisons[op]} ${this.param(encode(className, field, operand, types))}`;
      });
    });
    return parts.length ? parts.join(' AND ') : 'true';
  }

  find(find: BatchFind, types: FieldTypes): string {
    const table = quoted(find.className);
    const columns = find.keys ? ['objectId', ...find.keys.filter((key) => key !== 'objectId')].map(quoted).join(', ') : '*';
    const order = find.sort ? ` ORDER BY ${Object.entries(find.sort).map(([field, way]) => `${quoted(field)} ${way === 1 ? 'ASC' : 'DESC'}`).join(', ')}` : '';
    const where = this.conditions(find.className, find.where, types);
    const limit = this.param({ value: Math.max(0, Math.floor(find.limit)), cast: '::int' });
    return `SELECT ${columns} FROM ${table} WHERE ${where}${order} LIMIT ${limit}`;
  }

  returning(columns: string[] | undefined): string {
    return `RETURNING ${['objectId', ...(columns ?? [])].map(quoted).join(', ')}`;
  }

  write(write: GuardedWrite, types: FieldTypes, now: string): string {
    const table = quoted(write.className);
    if (write.kind === 'check' && write.lock) {
      // The row is found by its objectId, which holds in the statement's snapshot, and locked; the
      // rest of the condition is then asked of the row as the writes it waited for left it. OFFSET 0
      // keeps PostgreSQL from moving that condition below the lock, onto the row as it was.
      const { objectId, ...rest } = write.where;
      if (typeof objectId !== 'string') throw new Error(`A locking check of ${write.className} needs the objectId of its row`);
      const locked = `(SELECT * FROM ${table} WHERE ${this.conditions(write.className, { objectId }, types)} OFFSET 0 FOR UPDATE) AS ${table}`;
      return `SELECT "objectId" FROM ${locked} WHERE ${this.conditions(write.className, rest, types)}`;
    }
    if (write.kind === 'check') return `SELECT "objectId" FROM ${table} WHERE ${this.conditions(write.className, write.where, types)} LIMIT 1`;
    if (write.kind === 'update') {
      return `UPDATE ${table} SET ${this.assignments(write.className, write.update, types, now)} WHERE ${this.conditions(write.className, write.where, types)} ${this.returning(write.returning)}`;
    }
    const { columns, values } = this.insertColumns(write.className, write.row, types);
    const insert = `INSERT INTO ${table} (${columns}) VALUES (${values})`;
    if (write.kind === 'insert') return `${insert} ${this.returning([])}`;
    const conflict = write.conflict.map(quoted).join(', ');
    return `${insert} ON CONFLICT (${conflict}) DO UPDATE SET ${this.assignments(write.className, write.update, types, now)} WHERE ${this.conditions(write.className, write.where, types)} ${this.returning(write.returning)}`;
  }
}

/**
 * The statement for `writes`. It answers one row with column `w<i>` for each write: the row write i
 * returned as JSON when it asks for `returning` columns, else the objectId of its row; it fails
 * with NOT_ALL_WRITES_HELD, changing nothing, when any write matched no row. `typesOf` gives each
 * class's field types; `now` is the updatedAt of every update.
 */
export function allOrNothingStatement(writes: GuardedWrite[], typesOf: (className: string) => FieldTypes, now: string): { text: string; values: unknown[] } {
  if (writes.length === 0) throw new Error('allOrNothingStatement needs at least one write');
  const statement = new Statement();
  const ctes = writes.map((write, i) => `w${i} AS (${statement.write(write, typesOf(write.className), now)})`);
  const counts = writes.map((_, i) => `(SELECT count(*) FROM w${i})`).join(' * ');
  const rows = writes.map((write, i) => `(SELECT ${returnsRow(write) ? `row_to_json(w${i})` : '"objectId"'} FROM w${i}) AS w${i}`).join(', ');
  return { text: `WITH ${ctes.join(', ')} SELECT 1 / (${counts}) AS landed, ${rows}`, values: statement.values };
}

/**
 * The statement for `finds`: one row whose column `f<i>` is find i's rows as a JSON array (read
 * them with rowsFromJSON).
 */
export function findsStatement(finds: BatchFind[], typesOf: (className: string) => FieldTypes): { text: string; values: unknown[] } {
  if (finds.length === 0) throw new Error('findsStatement needs at least one find');
  const statement = new Statement();
  const columns = finds.map((find, i) => `(SELECT coalesce(json_agg(t), '[]'::json) FROM (${statement.find(find, typesOf(find.className))}) t) AS f${i}`);
  return { text: `SELECT ${columns.join(', ')}`, values: statement.values };
}

/** Rows as json_agg wrote them, in REST format as findRows gives them (the ACL columns left out). */
export function rowsFromJSON(rows: Array<Record<string, unknown>>, types: FieldTypes): Array<Record<string, unknown>> {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(row)) {
      if (value === null || field === '_rperm' || field === '_wperm') continue;
      const type = typeOf(field, types);
      if (field === 'createdAt' || field === 'updatedAt') out[field] = new Date(value as string).toISOString();
      else if (type === 'Date') out[field] = { __type: 'Date', iso: new Date(value as string).toISOString() };
      else if (type === 'Pointer') out[field] = { __type: 'Pointer', className: types[field].targetClass, objectId: value };
      else out[field] = value;
    }
    return out;
  });
}
