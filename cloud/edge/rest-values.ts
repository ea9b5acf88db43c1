/**
 * Values in Parse's REST encoding, checked against the class schema before Parse Server decodes
 * them. Bare Parse Server 9.10 answers HTTP 500 to values it cannot decode or store (a GeoPoint out
 * of range, an Increment of text, null for a field with a default, ...) and, when a beforeSave
 * trigger refuses an object holding one, can exit while logging it. Every problem is returned as
 * `{ field, rule }` for a 142 `field: rule`.
 *
 * Pure: the express guard calls it with schema/*.json, the save triggers with the running server's
 * schema (so the cloud code is enough on its own on a host without our guard).
 */

export interface FieldSpec {
  type: string;
  targetClass?: string;
  required?: boolean;
  /** Text stored under a database index must stay short (an index row holds a few KB). */
  maxLength?: number;
}
export type ClassSpec = Readonly<Record<string, FieldSpec>>;
export interface ValueProblem {
  field: string;
  rule: string;
}
export type Check = ValueProblem | null;

export const MAX_DEPTH = 32;
/** Characters of a String field under an index (an index row holds at most a few KB). */
export const INDEXED_TEXT_MAX = 500;

/** Keys the Parse SDKs put in a request body next to the fields; Parse Server removes them. */
export const REQUEST_META_KEYS: ReadonlySet<string> = new Set([
  '_ApplicationId', '_JavaScriptKey', '_ClientVersion', '_InstallationId', '_SessionToken', '_MasterKey',
  '_context', '_ContentType', '_RevocableSession', '_method', '_noBody',
]);

const OBJECT_ID = /^[A-Za-z0-9_]{1,64}$/;
const CLASS_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ISO_DATE = /^(\d{4})-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;
const FIELD_OPS = new Set(['Increment', 'Add', 'AddUnique', 'Remove', 'Delete', 'AddRelation', 'RemoveRelation']);
const ARRAY_OPS = new Set(['Add', 'AddUnique', 'Remove']);
const RELATION_OPS = new Set(['AddRelation', 'RemoveRelation']);

export const problemAt = (field: string, rule: string): ValueProblem => ({ field: field || 'body', rule });
const problem = problemAt;
export const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const isOperation = (value: unknown): value is Record<string, unknown> & { __op: unknown } => isRecord(value) && '__op' in value;

/** True when `s` is valid Unicode (no lone surrogate, which PostgreSQL's JSON refuses). */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function checkText(text: string, at: string): Check {
  if (text.includes('\u0000')) return problem(at, 'must not contain a NUL character');
  if (!wellFormed(text)) return problem(at, 'must be valid Unicode text (it holds a lone surrogate)');
  return null;
}

function checkKey(key: string, at: string): Check {
  if (key.includes('\u0000')) return problem(at, 'a field name must not contain a NUL character');
  if (!wellFormed(key)) return problem(at, 'a field name must be valid Unicode text');
  return null;
}

const inRange = (value: unknown, limit: number) => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit;

export function isPointer(value: unknown): value is { __type: 'Pointer'; className: string; objectId: string } {
  return (
    isRecord(value) && value.__type === 'Pointer' && typeof value.className === 'string' && CLASS_NAME.test(value.className) &&
    typeof value.objectId === 'string' && OBJECT_ID.test(value.objectId)
  );
}

export function isDate(value: unknown): boolean {
  if (!isRecord(value) || value.__type !== 'Date' || typeof value.iso !== 'string') return false;
  const match = ISO_DATE.exec(value.iso);
  return match !== null && Number(match[1]) >= 1 && !Number.isNaN(Date.parse(value.iso));
}

/** A value with `__type`: well formed, or the rule it breaks. */
function checkEncoded(value: Record<string, unknown>, at: string): Check {
  switch (value.__type) {
    case 'Date':
      return isDate(value) ? null : problem(at, 'a Date needs "iso" with an ISO 8601 date like 2026-01-31T12:00:00.000Z');
    case 'Pointer':
      return isPointer(value) ? null : problem(at, 'a Pointer needs "className" and "objectId"');
    case 'Bytes':
      return typeof value.base64 === 'string' && BASE64.test(value.base64) ? null : problem(at, 'Bytes need "base64" text');
    case 'GeoPoint':
      return inRange(value.latitude, 90) && inRange(value.longitude, 180)
        ? null
        : problem(at, 'a GeoPoint needs "latitude" from -90 to 90 and "longitude" from -180 to 180');
    case 'File':
      return typeof value.name === 'string' && value.name.length > 0 && (value.url === undefined || typeof value.url === 'string')
        ? checkText(value.name, join(at, 'name'))
        : problem(at, 'a File needs "name" (and "url", if any, as text)');
    case 'Polygon': {
      const points = value.coordinates;
      const valid = Array.isArray(points) && points.length >= 3 && points.every((p) => Array.isArray(p) && p.length === 2 && inRange(p[0], 90) && inRange(p[1], 180));
      return valid ? null : problem(at, 'a Polygon needs "coordinates": at least 3 [latitude, longitude] pairs');
    }
    case 'Relation':
      return problem(at, 'a Relation cannot be sent as a value; change one with AddRelation or RemoveRelation');
    case 'Object':
      return problem(at, 'a whole object ("__type": "Object") cannot be sent; send a Pointer to it');
    default:
      return problem(at, `unknown __type ${JSON.stringify(value.__type)}`);
  }
}

/**
 * Where operations (`__op`) may appear in a value: nowhere (parameters, queries, field contents), or
 * anywhere, checked (Parse's schema and config APIs), with or without the relation operations.
 */
export type OpsAllowed = 'nowhere' | 'anywhere' | 'anywhere, relations too';

/**
 * Any value a client sends: encodings well formed, text storable, nesting bounded. Operations are
 * refused unless `ops` is 'anywhere' (Parse's schema and config APIs), where they are checked.
 */
export function checkValue(value: unknown, at: string, ops: OpsAllowed = 'nowhere', depth = 0): Check {
  if (depth > MAX_DEPTH) return problem(at, 'nested too deeply');
  if (typeof value === 'string') return checkText(value, at);
  if (typeof value === 'number') return Number.isFinite(value) ? null : problem(at, 'must be a finite number');
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = checkValue(value[i], join(at, i), ops, depth + 1);
      if (found) return found;
    }
    return null;
  }
  const record = value as Record<string, unknown>;
  if ('__op' in record) {
    if (ops === 'nowhere') return problem(at, `operation ${JSON.stringify(record.__op)} is only allowed as the value of an object's field`);
    return checkOperation(record, at, ops === 'anywhere, relations too', depth);
  }
  if ('__type' in record) {
    const found = checkEncoded(record, at);
    if (found) return found;
  }
  for (const [key, item] of Object.entries(record)) {
    const found = checkKey(key, at) ?? checkValue(item, join(at, key), ops, depth + 1);
    if (found) return found;
  }
  return null;
}

/** An operation (`{ "__op": ... }`) well formed; relation operations only where relations are allowed. */
function checkOperation(value: Record<string, unknown>, at: string, relations: boolean, depth: number): Check {
  const op = value.__op;
  if (typeof op !== 'string' || !FIELD_OPS.has(op) || (RELATION_OPS.has(op) && !relations)) {
    return problem(at, `operation ${JSON.stringify(op)} is not supported here`);
  }
  if (op === 'Delete') return null;
  if (op === 'Increment') {
    return typeof value.amount === 'number' && Number.isFinite(value.amount) ? null : problem(at, 'Increment needs a numeric "amount"');
  }
  const objects = value.objects;
  if (RELATION_OPS.has(op)) {
    const sameClass = Array.isArray(objects) && objects.every((o) => isPointer(o) && o.className === (objects[0] as { className: string }).className);
    return sameClass && objects.length > 0 ? null : problem(at, `${op} needs "objects", a list of Pointers to one class`);
  }
  if (!Array.isArray(objects)) return problem(at, `${op} needs "objects", a list`);
  return checkValue(objects, join(at, 'objects'), 'nowhere', depth + 1);
}

const TYPE_RULES: Record<string, string> = {
  String: 'must be text',
  Number: 'must be a number',
  Boolean: 'must be true or false',
  Date: 'must be a Date ({"__type": "Date", "iso": "2026-01-31T12:00:00.000Z"})',
  Object: 'must be an object',
  Array: 'must be a list',
  GeoPoint: 'must be a GeoPoint ({"__type": "GeoPoint", "latitude": ..., "longitude": ...})',
  File: 'must be a File ({"__type": "File", "name": ...})',
  Bytes: 'must be Bytes ({"__type": "Bytes", "base64": ...})',
  Polygon: 'must be a Polygon ({"__type": "Polygon", "coordinates": [...]})',
  ACL: 'must map "*", user ids or "role:<name>" to {"read": true|false, "write": true|false}',
};

/** The rule a value of `spec`'s type must follow, as a client reads it under 142. */
export function typeRule(spec: FieldSpec): string {
  if (spec.type === 'Pointer') return `must be a Pointer to ${spec.targetClass} ({"__type": "Pointer", "className": "${spec.targetClass}", "objectId": ...})`;
  if (spec.type === 'Relation') return 'is a Relation; change it with AddRelation or RemoveRelation';
  return TYPE_RULES[spec.type] ?? `must be a ${spec.type}`;
}

function checkACL(value: unknown, at: string): Check {
  if (!isRecord(value)) return problem(at, typeRule({ type: 'ACL' }));
  for (const [who, access] of Object.entries(value)) {
    const valid = isRecord(access) && Object.entries(access).every(([k, v]) => (k === 'read' || k === 'write') && typeof v === 'boolean');
    if (!valid || checkKey(who, at) || who.length === 0 || who.length > 200) return problem(join(at, who), typeRule({ type: 'ACL' }));
  }
  return null;
}

/** A value (not an operation) of a typed field: its type, and storable content. Null is not a value here. */
export function checkTypedValue(spec: FieldSpec, value: unknown, at: string, depth = 0): Check {
  const wrong = problem(at, typeRule(spec));
  switch (spec.type) {
    case 'String':
      if (typeof value !== 'string') return wrong;
      if (spec.maxLength !== undefined && value.length > spec.maxLength) return problem(at, `must be at most ${spec.maxLength.toLocaleString('en-US')} characters`);
      return checkText(value, at);
    case 'Number':
      return typeof value === 'number' && Number.isFinite(value) ? null : wrong;
    case 'Boolean':
      return typeof value === 'boolean' ? null : wrong;
    case 'Date':
      return isDate(value) ? null : wrong;
    case 'Pointer':
      return isPointer(value) && value.className === spec.targetClass ? null : wrong;
    case 'Relation':
      return wrong;
    case 'Object':
      if (!isRecord(value) || '__type' in value || '__op' in value) return wrong;
      return checkValue(value, at, 'nowhere', depth);
    case 'Array':
      return Array.isArray(value) ? checkValue(value, at, 'nowhere', depth) : wrong;
    case 'GeoPoint':
    case 'File':
    case 'Bytes':
    case 'Polygon':
      return isRecord(value) && value.__type === spec.type ? checkEncoded(value, at) : wrong;
    case 'ACL':
      return checkACL(value, at);
    default:
      return checkValue(value, at, 'nowhere', depth);
  }
}

/**
 * One field of an object write, in REST form: a value of the field's type or an operation that fits
 * it. `spec` undefined means the class is unknown here (Parse answers for it).
 */
export function checkFieldWrite(spec: FieldSpec | undefined, value: unknown, at: string): Check {
  if (isOperation(value)) {
    const found = checkOperation(value, at, spec === undefined || spec.type === 'Relation', 1);
    if (found || !spec) return found;
    const op = value.__op as string;
    if (op === 'Delete') return spec.required ? problem(at, 'is required and cannot be removed') : null;
    if (op === 'Increment' && spec.type !== 'Number') return problem(at, `Increment works only on a Number field; this one ${typeRule(spec)}`);
    if (ARRAY_OPS.has(op) && spec.type !== 'Array') return problem(at, `${op} works only on an Array field; this one ${typeRule(spec)}`);
    if (RELATION_OPS.has(op)) {
      if (spec.type !== 'Relation') return problem(at, `operation "${op}" is not supported here`);
      const first = (value.objects as Array<{ className: string }>)[0];
      if (first.className !== spec.targetClass) return problem(at, `${op} needs Pointers to ${spec.targetClass}`);
    }
    return null;
  }
  if (!spec) return checkValue(value, at, 'nowhere', 1);
  if (value === null) return problem(at, spec.required ? 'is required' : 'cannot be null; send {"__op": "Delete"} to remove it');
  return checkTypedValue(spec, value, at, 1);
}

/**
 * What to do with a field the class's schema does not list: refuse it by name (our server, whose
 * schema is locked), or check only its encoding (cloud code, which may run where Parse adds fields).
 */
export type UnknownFields = 'refuse' | 'check';

/**
 * Every field of an object write (the body of POST /classes/X, PUT /classes/X/id, /users, a batch
 * sub-request). With `fields` (the class's schema) each field is checked against its type; without,
 * only the encodings are. `at` prefixes field names in messages (a batch sub-request).
 */
export function checkObjectWrite(className: string, fields: ClassSpec | undefined, body: unknown, at = '', unknown: UnknownFields = 'refuse'): Check {
  if (!isRecord(body)) return problem(at, 'must be an object of fields');
  for (const [key, value] of Object.entries(body)) {
    const place = join(at, key);
    const badKey = checkKey(key, at);
    if (badKey) return badKey;
    if (REQUEST_META_KEYS.has(key)) {
      const found = checkValue(value, place);
      if (found) return found;
      continue;
    }
    const dot = key.indexOf('.');
    if (dot > 0) {
      // a subfield of an Object field: { "settings.colour": "red" }
      const base = fields?.[key.slice(0, dot)];
      if (base ? base.type !== 'Object' : fields && unknown === 'refuse') {
        return problem(place, `only an Object field has subfields; ${key.slice(0, dot)} is not one of ${className}`);
      }
      if (value === null) return problem(place, 'cannot be null; send {"__op": "Delete"} to remove it');
      const found = isOperation(value) ? checkOperation(value, place, false, 1) : checkValue(value, place, 'nowhere', 1);
      if (found) return found;
      continue;
    }
    const spec = fields?.[key];
    if (fields && !spec && unknown === 'refuse') return problem(place, `is not a field of ${className}`);
    const found = checkFieldWrite(spec, value, place);
    if (found) return found;
  }
  return null;
}

/** Fields from a schema definition (schema/*.json or the running schema), with the index length limits. */
export function classSpec(fields: Readonly<Record<string, { type: string; targetClass?: string; required?: boolean }>>, indexed: Iterable<string> = []): ClassSpec {
  const spec: Record<string, FieldSpec> = {};
  for (const [name, field] of Object.entries(fields)) {
    spec[name] = { type: field.type, targetClass: field.targetClass, required: field.required === true };
  }
  for (const name of indexed) {
    if (spec[name]?.type === 'String') spec[name] = { ...spec[name], maxLength: INDEXED_TEXT_MAX };
  }
  return spec;
}
