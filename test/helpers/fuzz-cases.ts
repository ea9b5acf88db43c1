/**
 * The malformed requests of the fuzz (test/integration/fuzz.int.test.ts), generated from
 * schema/*.json (every class and typed field) and the cloud functions' parameter schemas: bad
 * encodings, misplaced operations, wrong types, huge and deep values, for each kind of call and
 * each caller.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { FUNCTION_PARAMS } from '../../cloud/functions/params';
import { ROOT } from './server';

interface FieldDef {
  type: string;
  targetClass?: string;
  required?: boolean;
}
interface ClassDef {
  className: string;
  fields: Record<string, FieldDef>;
}

// Parse's own columns of its classes, which schema/ leaves out.
const PARSE_COLUMNS: Record<string, Record<string, FieldDef>> = {
  _User: { username: { type: 'String' }, password: { type: 'String' }, email: { type: 'String' }, emailVerified: { type: 'Boolean' }, authData: { type: 'Object' } },
  _Role: { name: { type: 'String' }, users: { type: 'Relation', targetClass: '_User' }, roles: { type: 'Relation', targetClass: '_Role' } },
  _Session: { user: { type: 'Pointer', targetClass: '_User' }, sessionToken: { type: 'String' }, expiresAt: { type: 'Date' } },
  _Installation: { installationId: { type: 'String' }, deviceType: { type: 'String' }, badge: { type: 'Number' }, channels: { type: 'Array' } },
};

const CLASSES: ClassDef[] = readdirSync(path.join(ROOT, 'schema'))
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(path.join(ROOT, 'schema', file), 'utf8')))
  .map((definition) => ({ className: definition.className, fields: { ...PARSE_COLUMNS[definition.className], ...definition.fields } }));

const HUGE = 'x'.repeat(300_000);
export function deep(levels: number, list = false): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = list ? [value] : { d: value };
  return value;
}

/** Malformed Parse encodings: every `__type`, each broken. */
export const ENCODED: Record<string, unknown> = {
  'Pointer without fields': { __type: 'Pointer' },
  'Pointer without objectId': { __type: 'Pointer', className: 'Product' },
  'Pointer with a bad objectId': { __type: 'Pointer', className: 'Product', objectId: 'a b/c' },
  'Pointer with a numeric objectId': { __type: 'Pointer', className: 'Product', objectId: 5 },
  'Pointer to no class': { __type: 'Pointer', className: 5, objectId: 'abc123' },
  'Date without iso': { __type: 'Date' },
  'Date with a bad iso': { __type: 'Date', iso: 'not-a-date' },
  'Date with a numeric iso': { __type: 'Date', iso: 12345 },
  'Date in year 0': { __type: 'Date', iso: '0000-01-01T00:00:00.000Z' },
  'Date past year 9999': { __type: 'Date', iso: '+275760-09-13T00:00:00.000Z' },
  'Bytes without base64': { __type: 'Bytes' },
  'Bytes with bad base64': { __type: 'Bytes', base64: '*** not base64 ***' },
  'File without name': { __type: 'File' },
  'File with a numeric name': { __type: 'File', name: 5 },
  'File from elsewhere': { __type: 'File', name: 'a.png', url: 'http://elsewhere.example/a.png' },
  'GeoPoint latitude out of range': { __type: 'GeoPoint', latitude: 91, longitude: 0 },
  'GeoPoint longitude out of range': { __type: 'GeoPoint', latitude: 0, longitude: 181 },
  'GeoPoint of text': { __type: 'GeoPoint', latitude: 'north', longitude: 'east' },
  'Polygon of two points': { __type: 'Polygon', coordinates: [[0, 0], [1, 1]] },
  'Polygon out of range': { __type: 'Polygon', coordinates: [[0, 0], [1, 1], [100, 200]] },
  'Polygon without coordinates': { __type: 'Polygon' },
  Relation: { __type: 'Relation', className: 'Product' },
  'Object without an id': { __type: 'Object', className: 'X' },
  'Object with an id': { __type: 'Object', className: 'Product', objectId: 'abc123', name: 'whole' },
  'unknown __type': { __type: 'Weird' },
  'numeric __type': { __type: 5 },
  'null __type': { __type: null },
};

/** Operations that are malformed whatever field they are on. */
export const OPS: Record<string, unknown> = {
  'Increment of text': { __op: 'Increment', amount: 'x' },
  'Increment without amount': { __op: 'Increment' },
  'Increment of null': { __op: 'Increment', amount: null },
  'Add without objects': { __op: 'Add' },
  'Add of text': { __op: 'Add', objects: 'x' },
  'AddUnique of an object': { __op: 'AddUnique', objects: { a: 1 } },
  'Remove without objects': { __op: 'Remove' },
  'Add of a broken Pointer': { __op: 'Add', objects: [{ __type: 'Pointer' }] },
  'Add of an op': { __op: 'Add', objects: [{ __op: 'Delete' }] },
  'AddRelation of nothing': { __op: 'AddRelation', objects: [] },
  'AddRelation of text': { __op: 'AddRelation', objects: ['x'] },
  'RemoveRelation without objects': { __op: 'RemoveRelation' },
  Batch: { __op: 'Batch', ops: [] },
  'Batch of text': { __op: 'Batch', ops: 'x' },
  'unknown op': { __op: 'Hack' },
  'numeric op': { __op: 5 },
  'null op': { __op: null },
  SetOnInsert: { __op: 'SetOnInsert', value: 1 },
};

/** Operations and encodings where they do not belong. */
const MISPLACED: Record<string, unknown> = {
  'an op inside an object': { inner: { __op: 'Increment', amount: 1 } },
  'an op inside a list': [{ __op: 'Delete' }],
  'a broken Date inside a list': [{ __type: 'Date', iso: 'x' }],
  'a whole object inside an object': { a: { __type: 'Object', className: 'X' } },
  'a deep object': deep(40),
  'a deep list': deep(40, true),
  'a NUL key': { 'a\u0000b': 1 },
};

const BAD_TEXT: Record<string, unknown> = { 'NUL text': 'a\u0000b', 'lone surrogate': 'x\ud800y' };

/** Values of the wrong JSON type (or not storable) for each field type. */
const WRONG: Record<string, Record<string, unknown>> = {
  String: { number: 42, boolean: true, list: ['a'], object: { a: 1 }, ...BAD_TEXT },
  Number: { text: 'text', 'numeric text': '1', boolean: true, list: [1], object: { a: 1 } },
  Boolean: { text: 'true', number: 1, list: [true], object: {} },
  Date: { 'ISO text': '2026-01-01T00:00:00.000Z', number: 5, 'object without __type': { iso: '2026-01-01T00:00:00.000Z' } },
  Pointer: { 'bare id': 'abc123', number: 5, 'object without __type': { objectId: 'abc123' }, 'Pointer to another class': { __type: 'Pointer', className: 'Nope', objectId: 'abc123' } },
  Relation: { 'a Pointer': { __type: 'Pointer', className: '_User', objectId: 'abc123' }, list: [] },
  Array: { text: 'x', number: 5, object: { a: 1 }, 'NUL item': ['a\u0000'] },
  Object: { text: 'x', number: 5, list: [1], 'a Date': { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' } },
};

/** A well-formed value of each function parameter, naming nothing that exists. */
const WELL_FORMED_PARAMS: Record<string, unknown> = {
  productId: 'noSuchProduct1',
  orderId: 'noSuchOrder1',
  quantity: 1,
  code: 'NO-SUCH-CODE',
  idempotencyKey: 'fuzz-key-00000001',
  items: [{ productId: 'noSuchProduct1', quantity: 1 }],
  expectedTotal: 1,
  status: 'shipped',
  limit: 10,
  skip: 0,
  search: 'nothing',
};

export type Role = 'anonymous' | 'customer' | 'admin';
const ROLES: Role[] = ['anonymous', 'customer', 'admin'];

export interface Case {
  kind: 'write' | 'find' | 'function' | 'batch' | 'graphql';
  what: string;
  role: Role;
  method: string;
  path: string;
  body: unknown;
  /** The field a 142 must name. */
  field?: string;
  /** Changes nothing even if served (a find, catalog, log-out): harmless on a plain Parse Server. */
  harmless?: boolean;
  /** Answered by the HTTP layer in front of Parse Server (ours, or the host's on a plain server). */
  http?: boolean;
}

const READ_FUNCTIONS = new Set(['serverTime', 'catalog', 'flashSales']);

export interface Seeded {
  productId: string;
  saleId: string;
  couponId: string;
  codeId: string;
  inventoryId: string;
}

/** Ids of existing rows, so updates reach real objects. */
function objectIdOf(className: string, seeded: Seeded): string {
  const ids: Record<string, string> = {
    Product: seeded.productId,
    FlashSale: seeded.saleId,
    Coupon: seeded.couponId,
    DiscountCode: seeded.codeId,
    Inventory: seeded.inventoryId,
  };
  return ids[className] ?? 'abc123XYZ0';
}

function classPath(className: string, objectId?: string): string {
  const base = className === '_User' ? '/users' : className === '_Role' ? '/roles' : className === '_Session' ? '/sessions' : className === '_Installation' ? '/installations' : `/classes/${className}`;
  return objectId ? `${base}/${objectId}` : base;
}

const typedFields = (definition: ClassDef) => Object.entries(definition.fields);

/** Everything a value may be that is wrong for `field`. */
function badValuesFor(field: FieldDef): Record<string, unknown> {
  const values: Record<string, unknown> = { null: null, ...WRONG[field.type] };
  if (field.type !== 'Number') values['Increment of 1'] = { __op: 'Increment', amount: 1 };
  if (field.type !== 'Array') values['Add of a number'] = { __op: 'Add', objects: [1] };
  if (field.required) values.Delete = { __op: 'Delete' };
  return values;
}

export function generateCases(seeded: Seeded): Case[] {
  const cases: Case[] = [];
  let turn = 0;
  const nextRole = () => ROLES[turn++ % ROLES.length];
  const writes: Case[] = [];

  // Every typed field of every class: null and each wrong type, on create and on update.
  for (const definition of CLASSES) {
    for (const [field, def] of typedFields(definition)) {
      for (const [what, value] of Object.entries(badValuesFor(def))) {
        const create = definition.className === '_User' && field !== 'username' && field !== 'password'
          ? { username: `fuzz-${turn}`, password: 'password-123', [field]: value }
          : { [field]: value };
        writes.push({ kind: 'write', what: `${definition.className}.${field}: ${what} (create)`, role: nextRole(), method: 'POST', path: classPath(definition.className), body: create, field });
        writes.push({
          kind: 'write', what: `${definition.className}.${field}: ${what} (update)`, role: nextRole(), method: 'PUT',
          path: classPath(definition.className, objectIdOf(definition.className, seeded)), body: { [field]: value }, field,
        });
      }
    }
  }

  // Every malformed encoding, operation and misplaced value, on fields of every class in turn.
  const allFields = CLASSES.flatMap((definition) => typedFields(definition).map(([field]) => ({ className: definition.className, field })));
  const variants = { ...ENCODED, ...OPS, ...MISPLACED, ...BAD_TEXT, 'huge text in a number': HUGE };
  let spot = 0;
  for (const [what, value] of Object.entries(variants)) {
    for (let i = 0; i < 4; i++) {
      const { className, field } = allFields[spot++ % allFields.length];
      const update = i % 2 === 1;
      const target = what === 'huge text in a number' ? { className: 'Product', field: 'price' } : { className, field };
      writes.push({
        kind: 'write', what: `${target.className}.${target.field}: ${what}`, role: ROLES[(spot + i) % 3], method: update ? 'PUT' : 'POST',
        path: classPath(target.className, update ? objectIdOf(target.className, seeded) : undefined), body: { [target.field]: value }, field: target.field,
      });
    }
  }
  // Huge text where text is indexed or limited; an unknown field; the method override.
  for (const [className, field] of [['Product', 'name'], ['Coupon', 'code'], ['DiscountCode', 'code'], ['_User', 'username'], ['_User', 'email'], ['Order', 'status']]) {
    for (const role of ROLES) writes.push({ kind: 'write', what: `${className}.${field}: huge text`, role, method: 'POST', path: classPath(className), body: { [field]: HUGE }, field });
  }
  for (const definition of CLASSES) {
    // Parse refuses a field the locked schema lacks (after access and the class's own rules).
    writes.push({ kind: 'write', what: `${definition.className}: unknown field`, role: nextRole(), method: 'POST', path: classPath(definition.className), body: { hack: 1 } });
  }
  writes.push({ kind: 'write', what: 'POST with _method PUT', role: 'admin', method: 'POST', path: classPath('Product', seeded.productId), body: { _method: 'PUT', price: 'free' }, field: 'price' });
  writes.push({ kind: 'write', what: 'the reported Order crash', role: 'customer', method: 'POST', path: '/classes/Order', body: { product: { __type: 'Object', className: 'X' }, quantity: 1 }, field: 'product' });
  cases.push(...writes);

  // Finds: comparisons of the wrong type, broken operators, subfields of plain fields, bad options.
  for (const definition of CLASSES.filter((d) => ['Product', 'FlashSale', 'Inventory', 'Order', 'Coupon', '_User'].includes(d.className))) {
    for (const [field, def] of typedFields(definition)) {
      const wrong = def.type === 'Number' ? 'x' : def.type === 'String' ? 5 : { __type: 'Date', iso: 'soon' };
      const wheres: Array<[string, unknown]> = [
        ['$gt of the wrong type', { [field]: { $gt: wrong } }],
        ['$in of text', { [field]: { $in: 'x' } }],
        ['equality of the wrong type', { [field]: def.type === 'String' ? 42 : def.type === 'Pointer' ? 'abc' : 'x' }],
        ...(def.type === 'Object' ? [] : ([['a subfield', { [`${field}.x`]: 1 }]] as Array<[string, unknown]>)),
        ['$regex that does not compile', { [field]: { $regex: '[' } }],
        ['$exists of text', { [field]: { $exists: 'yes' } }],
        ['an unknown operator', { [field]: { $hack: 1 } }],
      ];
      for (const [what, where] of wheres) {
        const role = nextRole();
        const asBody = turn % 2 === 0;
        cases.push({
          kind: 'find', what: `find ${definition.className}.${field}: ${what}`, role, method: asBody ? 'POST' : 'GET',
          path: asBody ? classPath(definition.className) : `${classPath(definition.className)}?where=${encodeURIComponent(JSON.stringify(where))}`,
          body: asBody ? { _method: 'GET', where } : undefined, field,
        });
      }
    }
  }
  for (const [what, query] of Object.entries({
    'an empty $or branch': { where: { $or: [{}] } },
    '$or of text': { where: { $or: 'x' } },
    '$relatedTo of a number': { where: { $relatedTo: 5 } },
    'a top-level unknown operator': { where: { $hack: 1 } },
    'limit of text': { limit: 'x' },
    'negative limit': { limit: -1 },
    'negative skip': { skip: -5 },
    'skip of text': { skip: 'many' },
    'order of a number': { order: 5 },
    'keys of an object': { keys: { a: 1 } },
    'a huge regex': { where: { name: { $regex: HUGE } } },
    'a broken Date in a where': { where: { createdAt: { $gt: { __type: 'Date', iso: 'yesterday-ish' } } } },
    'an objectId compared with a number': { where: { objectId: { $gt: 5 } } },
  })) {
    for (const role of ROLES) cases.push({ kind: 'find', what: `find Product: ${what}`, role, method: 'POST', path: '/classes/Product', body: { _method: 'GET', ...query } });
  }

  // Function parameters: each parameter of each function, with every kind of bad value, next to
  // well-formed values of the others (for rows that do not exist), so the 142 is about that one.
  for (const [name, schema] of Object.entries(FUNCTION_PARAMS)) {
    const params = Object.keys((schema as z.ZodObject).shape);
    const values: Record<string, unknown> = { null: null, 'wrong type': { wrong: true }, 'huge text': HUGE, ...MISPLACED, ...BAD_TEXT, ...OPS, ...ENCODED };
    for (const param of params.length > 0 ? params : ['unexpected']) {
      const others = Object.fromEntries(params.filter((p) => p !== param).map((p) => [p, WELL_FORMED_PARAMS[p]]));
      for (const [what, value] of Object.entries(values)) {
        cases.push({ kind: 'function', what: `${name}(${param}: ${what})`, role: nextRole(), method: 'POST', path: `/functions/${name}`, body: { ...others, [param]: value }, field: param });
      }
    }
  }
  for (const [what, value] of Object.entries(ENCODED)) {
    cases.push({ kind: 'function', what: `serverTime(at: ${what})`, role: nextRole(), method: 'POST', path: '/functions/serverTime', body: { at: value }, field: 'at' });
  }

  // Parse's other routes: log-in, sessions, email features this server does not have, config, events.
  for (const [what, path, body] of [
    ['log-in with a query for a username', '/login', { username: { $ne: null }, password: 'x' }],
    ['log-in with a list for a username', '/login', { username: ['admin'], password: 'x' }],
    ['log-in with a number for a password', '/login', { username: 'nobody-at-all', password: 5 }],
    ['log-in with a whole object', '/login', { username: ENCODED['Object without an id'], password: 'x' }],
    ['a password reset by query', '/requestPasswordReset', { email: { $ne: null } }],
    ['a password reset', '/requestPasswordReset', { email: 'someone@example.com' }],
    ['an email verification', '/verificationEmailRequest', { email: 'someone@example.com' }],
    ['sign-up with broken authData', '/users', { authData: { anonymous: { id: { __op: 'Delete' } } } }],
    ['sign-up with authData of text', '/users', { authData: 'x' }],
    ['log-out with a whole object', '/logout', { x: ENCODED['Object without an id'] }],
    ['config with a whole object', '/config', { params: { a: ENCODED['Object without an id'] } }],
    ['an event with broken dimensions', '/events/AppOpened', { dimensions: { a: ENCODED['Date with a bad iso'] } }],
    ['a session upgrade', '/upgradeToRevocableSession', {}],
    ['a job with a broken param', '/jobs/reconcileInventory', { fix: ENCODED['Object without an id'] }],
  ] as Array<[string, string, unknown]>) {
    // A log-out that a plain Parse Server serves would end the session the other cases use.
    for (const role of path === '/logout' ? (['anonymous'] as Role[]) : ROLES) cases.push({ kind: 'write', what, role, method: 'POST', path, body });
  }

  // Batches of bad writes (paths as the SDKs send them), and batches that are broken themselves.
  const batchable = writes.filter((c) => !JSON.stringify(c.body).includes(HUGE.slice(0, 1000)));
  for (let i = 0; i + 4 <= batchable.length && i < 4 * 40; i += 4) {
    const requests = batchable.slice(i, i + 4).map((c) => ({ method: c.method, path: `/parse${c.path}`, body: c.body }));
    cases.push({ kind: 'batch', what: `batch of ${batchable.slice(i, i + 4).map((c) => c.what).join('; ')}`, role: ROLES[i % 3], method: 'POST', path: '/batch', body: { requests } });
  }
  for (const [what, body] of Object.entries({
    'requests of text': { requests: 'x' },
    'a request without a method': { requests: [{ path: '/parse/classes/Product', body: {} }] },
    'a path outside the API': { requests: [{ method: 'GET', path: '/etc/passwd' }] },
    'a batch in a batch': { requests: [{ method: 'POST', path: '/parse/batch', body: { requests: [] } }] },
    'a find with a broken where': { requests: [{ method: 'GET', path: '/parse/classes/Product', body: { where: { price: { $gt: 'x' } } } }] },
    'a function with a broken param': { requests: [{ method: 'POST', path: '/parse/functions/restock', body: { productId: ENCODED['Object without an id'], quantity: 1 } }] },
  })) {
    for (const role of ROLES) cases.push({ kind: 'batch', what: `batch: ${what}`, role, method: 'POST', path: '/batch', body });
  }

  // GraphQL: create mutations with bad variables for every field the generated inputs take, cloud
  // functions with bad params, and the same values written into the query text.
  const graphQLClasses = ['Product', 'Inventory', 'FlashSale', 'Coupon', 'DiscountCode', 'Cart', 'Order', 'Transaction'];
  for (const definition of CLASSES.filter((d) => graphQLClasses.includes(d.className))) {
    for (const [field, def] of typedFields(definition)) {
      const values: Record<string, unknown> = { null: null, ...WRONG[def.type], 'Object without an id': ENCODED['Object without an id'], 'Date with a bad iso': ENCODED['Date with a bad iso'], 'unknown op': OPS['unknown op'] };
      for (const [what, value] of Object.entries(values)) {
        const query = `mutation Fuzz($fields: Create${definition.className}FieldsInput) { create${definition.className}(input: { fields: $fields }) { clientMutationId } }`;
        cases.push({ kind: 'graphql', what: `GraphQL create${definition.className}(${field}: ${what})`, role: nextRole(), method: 'POST', path: '/graphql', body: { query, variables: { fields: { [field]: value } } } });
      }
    }
  }
  for (const [name, schema] of Object.entries(FUNCTION_PARAMS)) {
    for (const param of Object.keys((schema as z.ZodObject).shape).concat('unexpected')) {
      for (const [what, value] of Object.entries({ ...ENCODED, ...OPS, null: null })) {
        const query = 'mutation Fuzz($params: Object) { callCloudCode(input: { functionName: ' + name + ', params: $params }) { result } }';
        cases.push({ kind: 'graphql', what: `GraphQL ${name}(${param}: ${what})`, role: nextRole(), method: 'POST', path: '/graphql', body: { query, variables: { params: { [param]: value } } } });
      }
    }
  }
  for (const [what, literal] of Object.entries({
    'a whole object': '{ __type: "Object", className: "X" }',
    'a broken Date': '{ __type: "Date", iso: "never" }',
    'an unknown op': '{ __op: "Hack" }',
    'a GeoPoint out of range': '{ __type: "GeoPoint", latitude: 95, longitude: 0 }',
  })) {
    const query = `mutation { createDiscountCode(input: { fields: { code: "FUZZLIT", percentage: 5, validUntil: "2030-01-01T00:00:00.000Z", products: [${literal}] } }) { clientMutationId } }`;
    for (const role of ROLES) cases.push({ kind: 'graphql', what: `GraphQL literal: ${what}`, role, method: 'POST', path: '/graphql', body: { query } });
  }
  cases.push({ kind: 'graphql', what: 'GraphQL body that is not JSON', role: 'anonymous', method: 'POST', path: '/graphql', body: '{"query": "{ health', http: true });
  cases.push({ kind: 'graphql', what: 'GraphQL syntax error', role: 'customer', method: 'POST', path: '/graphql', body: { query: '{ health ' } });
  cases.push({ kind: 'graphql', what: 'GraphQL deep literal', role: 'admin', method: 'POST', path: '/graphql', body: { query: `mutation { callCloudCode(input: { functionName: serverTime, params: ${'{ a: '.repeat(200)}1${' }'.repeat(200)} }) { result } }` }, harmless: true });
  for (const fuzz of cases) {
    const fn = /^\/functions\/(\w+)/.exec(fuzz.path)?.[1] ?? /functionName: (\w+)/.exec(JSON.stringify(fuzz.body))?.[1];
    if (fuzz.kind === 'find' || (fn && READ_FUNCTIONS.has(fn)) || /^\/(logout|events)\b/.test(fuzz.path)) fuzz.harmless = true;
  }
  return cases;
}
