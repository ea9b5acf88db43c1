/**
 * A find's `where` and options, checked against the class schema: bare Parse Server 9.10 on
 * PostgreSQL answers HTTP 500 to a comparison of the wrong type (`price > "x"`), an empty `$or`
 * branch, a subfield of a non-Object field, an invalid regex or a `limit` that is not a number.
 */
import { type Check, type ClassSpec, type FieldSpec, type UnknownFields, checkTypedValue, checkValue, isDate, isPointer, isRecord, join, problemAt } from './rest-values';

export type SchemaLookup = (className: string) => ClassSpec | undefined;

const COMPARABLE = new Set(['Number', 'Date', 'String']);
const GEO = new Set(['GeoPoint', 'Polygon']);
const GEO_OPERATORS = new Set([
  '$nearSphere', '$maxDistance', '$maxDistanceInRadians', '$maxDistanceInMiles', '$maxDistanceInKilometers',
  '$within', '$geoWithin', '$geoIntersects', '$box', '$polygon', '$centerSphere', '$point',
]);
const REGEX_MAX = 1000;
const LIST_OPTIONS = ['order', 'keys', 'excludeKeys', 'include'];

/**
 * A member of a relation. The JS SDK encodes `new Parse.Object(Parse.Role)` without its className,
 * and Parse Server's own role lookup for Live Query sends exactly that (`roles $in [{ __type:
 * 'Pointer', objectId }]`); Parse Server takes the class from the relation.
 */
function isRelationMember(spec: FieldSpec, value: unknown): boolean {
  if (isPointer(value)) return value.className === spec.targetClass;
  return isRecord(value) && value.__type === 'Pointer' && value.className === undefined && isPointer({ ...value, className: spec.targetClass });
}

/**
 * A value compared with a field for equality ($eq, $ne, $in, a plain value): null matches "unset",
 * and text of any length may be looked for (only storing it under an index is limited).
 */
function checkOperand(spec: FieldSpec, value: unknown, at: string): Check {
  if (value === null) return null;
  if (spec.type === 'Array' || spec.type === 'Object' || spec.type === 'ACL') return checkValue(value, at);
  if (spec.type === 'Relation') return isRelationMember(spec, value) ? null : problemAt(at, `must be a Pointer to ${spec.targetClass}`);
  return checkTypedValue({ type: spec.type, targetClass: spec.targetClass }, value, at);
}

/**
 * Equality with a list or object field: bare Parse Server on PostgreSQL answers HTTP 500 when the
 * value is plain text, a number or a boolean (it compares the jsonb column with it as is).
 */
function checkEquality(spec: FieldSpec, value: unknown, at: string): Check {
  if ((spec.type === 'Array' || spec.type === 'Object') && ['string', 'number', 'boolean'].includes(typeof value)) {
    return problemAt(at, spec.type === 'Array' ? 'a list field matches a Pointer it holds, a whole list, or $all / $in' : 'an object field matches a subfield ("field.key") or $exists');
  }
  return checkOperand(spec, value, at);
}

function checkBound(spec: FieldSpec, value: unknown, at: string): Check {
  if (!COMPARABLE.has(spec.type)) return problemAt(at, 'only a number, date or text field can be compared this way');
  if (spec.type === 'Date' && isRecord(value) && '$relativeTime' in value) {
    return typeof value.$relativeTime === 'string' ? checkValue(value.$relativeTime, join(at, '$relativeTime')) : problemAt(at, '$relativeTime needs text like "3 days ago"');
  }
  if (spec.type === 'Date' && !isDate(value)) return problemAt(at, 'must be a Date ({"__type": "Date", "iso": "2026-01-31T12:00:00.000Z"})');
  return checkTypedValue({ type: spec.type, targetClass: spec.targetClass }, value, at);
}

function checkRegex(spec: FieldSpec, value: unknown, at: string): Check {
  if (spec.type !== 'String') return problemAt(at, 'only a text field can be matched with $regex');
  if (typeof value !== 'string') return problemAt(at, 'must be text (a regular expression)');
  if (value.length > REGEX_MAX) return problemAt(at, `must be at most ${REGEX_MAX.toLocaleString('en-US')} characters`);
  try {
    new RegExp(value);
  } catch {
    return problemAt(at, 'must be a valid regular expression');
  }
  return checkValue(value, at);
}

function checkSubquery(lookup: SchemaLookup, value: unknown, at: string, depth: number, unknown: UnknownFields): Check {
  if (!isRecord(value) || typeof value.className !== 'string') return problemAt(at, 'needs "className" and "where"');
  return checkWhere(lookup, value.className, value.where ?? {}, join(at, 'where'), depth + 1, unknown);
}

/** The constraint on one field: a plain value (equality) or an object of `$` operators. */
function checkConstraint(lookup: SchemaLookup, spec: FieldSpec, value: unknown, at: string, depth: number, unknown: UnknownFields): Check {
  const operators = isRecord(value) && Object.keys(value).some((key) => key.startsWith('$'));
  if (!operators) return checkEquality(spec, value, at);
  for (const [op, operand] of Object.entries(value as Record<string, unknown>)) {
    const place = join(at, op);
    let found: Check;
    switch (op) {
      case '$lt':
      case '$lte':
      case '$gt':
      case '$gte':
        found = checkBound(spec, operand, place);
        break;
      case '$eq':
        found = checkEquality(spec, operand, place);
        break;
      case '$ne':
        found = checkOperand(spec, operand, place);
        break;
      case '$in':
      case '$nin':
        found = Array.isArray(operand) ? firstProblem(operand, (item, i) => checkOperand(spec, item, join(place, i))) : problemAt(place, 'must be a list');
        break;
      case '$all':
      case '$containedBy':
        found = spec.type !== 'Array' ? problemAt(place, 'only a list field can be matched this way') : Array.isArray(operand) ? checkValue(operand, place) : problemAt(place, 'must be a list');
        break;
      case '$exists':
        found = typeof operand === 'boolean' ? null : problemAt(place, 'must be true or false');
        break;
      case '$regex':
        found = checkRegex(spec, operand, place);
        break;
      case '$options':
        found = typeof operand === 'string' && /^[imxs]*$/.test(operand) ? null : problemAt(place, 'must be regex options, some of i, m, x and s');
        break;
      case '$select':
      case '$dontSelect':
        found = isRecord(operand) && typeof operand.key === 'string' ? checkSubquery(lookup, operand.query, join(place, 'query'), depth, unknown) : problemAt(place, 'needs "query" ({ className, where }) and "key"');
        break;
      case '$inQuery':
      case '$notInQuery':
        found = checkSubquery(lookup, operand, place, depth, unknown);
        break;
      case '$text': {
        const search = isRecord(operand) ? operand.$search : undefined;
        found = spec.type !== 'String' ? problemAt(place, 'only a text field can be searched') : isRecord(search) && typeof search.$term === 'string' ? checkValue(operand, place) : problemAt(place, 'needs {"$search": {"$term": "words"}}');
        break;
      }
      default:
        found = GEO_OPERATORS.has(op) && GEO.has(spec.type) ? checkValue(operand, place) : problemAt(place, GEO_OPERATORS.has(op) ? 'only a GeoPoint or Polygon field can be matched this way' : 'is not a query operator');
    }
    if (found) return found;
  }
  return null;
}

function firstProblem<T>(items: T[], check: (item: T, i: number) => Check): Check {
  for (let i = 0; i < items.length; i++) {
    const found = check(items[i], i);
    if (found) return found;
  }
  return null;
}

/**
 * The `where` of a find on `className`: every field constrained by a value or operator that fits its
 * type. A field the class does not have is refused by name, or (`unknown: 'check'`) only checked
 * for well-formed values.
 */
export function checkWhere(lookup: SchemaLookup, className: string, where: unknown, at = 'where', depth = 0, unknown: UnknownFields = 'refuse'): Check {
  if (depth > 8) return problemAt(at, 'nested too deeply');
  if (!isRecord(where)) return problemAt(at, 'must be an object of field constraints');
  const fields = lookup(className);
  for (const [key, value] of Object.entries(where)) {
    const place = join(at, key);
    const generic = checkValue(key, at);
    if (generic) return { field: at, rule: 'a field name must be valid text without NUL characters' };
    let found: Check;
    if (key === '$or' || key === '$and' || key === '$nor') {
      const valid = Array.isArray(value) && value.length > 0 && value.every((branch) => isRecord(branch) && Object.keys(branch).length > 0);
      found = valid ? firstProblem(value as unknown[], (branch, i) => checkWhere(lookup, className, branch, join(place, i), depth + 1, unknown)) : problemAt(place, 'must be a non-empty list of non-empty constraints');
    } else if (key === '$relatedTo') {
      found = isRecord(value) && isPointer(value.object) && typeof value.key === 'string' ? null : problemAt(place, 'needs "object" (a Pointer) and "key"');
    } else if (key.startsWith('$')) {
      found = problemAt(place, 'is not a query operator');
    } else if (!fields) {
      found = checkValue(value, place, 'nowhere', depth + 1);
    } else if (key.includes('.')) {
      const base = fields[key.slice(0, key.indexOf('.'))];
      const subfields = base ? base.type === 'Object' : unknown === 'check';
      found = subfields ? checkValue(value, place, 'nowhere', depth + 1) : problemAt(place, `only an Object field has subfields; ${key.slice(0, key.indexOf('.'))} is not one of ${className}`);
    } else if (!fields[key]) {
      found = unknown === 'check' ? checkValue(value, place, 'nowhere', depth + 1) : problemAt(place, `is not a field of ${className}`);
    } else {
      found = checkConstraint(lookup, fields[key], value, place, depth, unknown);
    }
    if (found) return found;
  }
  return null;
}

const wholeNumber = (value: unknown) =>
  (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'string' && /^\d{1,15}$/.test(value));

/** A find's options besides `where` (from the body or the query string): limit, skip and the field lists. */
export function checkFindOptions(options: Record<string, unknown>): Check {
  for (const key of ['limit', 'skip']) {
    if (options[key] !== undefined && !wholeNumber(options[key])) return problemAt(key, 'must be a whole number of at least 0');
  }
  for (const key of LIST_OPTIONS) {
    const value = options[key];
    if (value === undefined) continue;
    const valid = typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    if (!valid) return problemAt(key, 'must be a comma-separated list of field names');
    const found = checkValue(value, key);
    if (found) return found;
  }
  return null;
}
