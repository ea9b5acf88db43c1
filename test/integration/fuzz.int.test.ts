/**
 * A fuzz of malformed requests generated from schema/*.json (every class and typed field) and the
 * cloud functions' parameter schemas, sent as anonymous, customer and admin over REST class writes,
 * finds, /users, /batch, function parameters and GraphQL variables and literals. No answer may be
 * HTTP 5xx or carry a stack trace, no bad input may succeed, the server must keep running without
 * printing a stack trace, and no stock, quota or code counter may move. Run as the tests run the
 * server (NODE_ENV=test) and as `npm start` does (development), where GraphQL adds stack traces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { z } from 'zod';
import { FUNCTION_PARAMS } from '../../cloud/functions/params';
import { startPlainServer } from '../helpers/plain-server';
import { ADMIN, APP_ID, productRef, ROOT, type Session, startTestServer, type TestServer } from '../helpers/server';

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
function deep(levels: number, list = false): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = list ? [value] : { d: value };
  return value;
}

/** Malformed Parse encodings: every `__type`, each broken. */
const ENCODED: Record<string, unknown> = {
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
const OPS: Record<string, unknown> = {
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

type Role = 'anonymous' | 'customer' | 'admin';
const ROLES: Role[] = ['anonymous', 'customer', 'admin'];

interface Case {
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

interface Seeded {
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

function generateCases(seeded: Seeded): Case[] {
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

interface Outcome {
  fuzz: Case;
  status: number;
  text: string;
  json: any;
}

// A stack frame (`at fn (/path/file.js:12:34)`, `at node:internal/...:1:2`) or Apollo's stacktrace field.
const STACK_TRACE = /\bat (?:\S+ )?\(?(?:\/|file:|node:)\S+:\d+:\d+\)?|stacktrace/i;

/**
 * One request, on a connection of its own: a kept-alive connection that the server closes as the
 * next request goes out loses that request without an answer, and a retry of a write could not
 * tell what the first attempt did.
 */
function send(server: TestServer, sessions: Record<Role, Session | undefined>, fuzz: Case): Promise<Outcome> {
  const headers: Record<string, string> = { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json' };
  const session = sessions[fuzz.role];
  if (session) headers['X-Parse-Session-Token'] = session.sessionToken;
  const url = new URL(fuzz.path === '/graphql' ? `http://127.0.0.1:${server.port}/graphql` : `${server.apiURL}${fuzz.path}`);
  const body = fuzz.body === undefined ? undefined : typeof fuzz.body === 'string' ? fuzz.body : JSON.stringify(fuzz.body);
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  return new Promise((resolve) => {
    const request = http.request(url, { method: fuzz.method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ fuzz, status: response.statusCode ?? 0, text, json });
      });
      response.on('error', (error) => resolve({ fuzz, status: 0, text: `no answer (${error.message})`, json: undefined }));
    });
    request.on('error', (error) => resolve({ fuzz, status: 0, text: `no answer (${(error as { code?: string }).code ?? error.message})`, json: undefined }));
    request.end(body);
  });
}

async function pool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** Sends broken Live Query frames and subscriptions, then changes a product they are all matched against. */
async function liveQueryFuzz(server: TestServer, productId: string): Promise<number> {
  const wheres: unknown[] = [
    ...Object.values(ENCODED).map((value) => ({ name: value })),
    ...Object.values(OPS).map((value) => ({ price: value })),
    { $or: [{}] }, { $or: 5 }, { $and: 'x' }, { $relatedTo: 5 }, { price: { $gt: 'x' } }, { price: { $in: 5 } }, { name: { $regex: '[' } },
    { name: { $regex: 'a', $options: 'zz' } }, { name: { $exists: 'x' } }, { 'name.x.y': 1 }, { name: { $inQuery: { className: 'X', where: {} } } },
    { name: { $select: { query: {}, key: 5 } } }, { price: { $nearSphere: ENCODED['GeoPoint latitude out of range'] } }, { d: deep(40) }, 'x', null,
  ];
  const frames = [
    'not json', '{}', JSON.stringify({ op: 'connect' }), JSON.stringify({ op: 'hack' }), JSON.stringify({ op: 'unsubscribe', requestId: 999 }),
    ...wheres.map((where, i) => JSON.stringify({ op: 'subscribe', requestId: i + 1, query: { className: 'Product', where } })),
    JSON.stringify({ op: 'subscribe', requestId: 'x', query: null }),
    JSON.stringify({ op: 'subscribe', requestId: 500, sessionToken: { a: 1 }, query: { className: 'Product', where: {} } }),
    JSON.stringify({ op: 'subscribe', requestId: 501, query: { className: 5, where: {} } }),
    JSON.stringify({ op: 'update', requestId: 1, query: { className: 'Product', where: { $or: 5 } } }),
  ];
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/parse`);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => resolve());
  });
  socket.on('message', () => undefined);
  socket.send(JSON.stringify({ op: 'connect', applicationId: APP_ID }));
  for (const frame of frames) socket.send(frame);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const admin = await server.ok('POST', '/login', ADMIN); // a fresh session: the fuzz may have ended others
  await server.ok('PUT', `/classes/Product/${productId}`, { description: 'matched against every subscription' }, { headers: { 'X-Parse-Session-Token': admin.sessionToken } });
  await new Promise((resolve) => setTimeout(resolve, 500));
  socket.close();
  return frames.length + 1;
}

/** Everything a bad request must leave exactly as it was. */
async function counters(server: TestServer) {
  const rows = async (className: string) => (await server.find(className)).map(({ updatedAt: _updatedAt, ...row }) => row);
  return {
    Product: await server.find('Product'),
    Inventory: await server.find('Inventory'),
    FlashSale: await server.find('FlashSale'),
    Coupon: await server.find('Coupon'),
    DiscountCode: await server.find('DiscountCode'),
    SaleBuyer: await rows('SaleBuyer'),
    CodeRedemption: await rows('CodeRedemption'),
    Order: await rows('Order'),
    Transaction: await rows('Transaction'),
    Cart: await rows('Cart'),
  };
}

/**
 * What a bad request must not do. Behind our server (`guarded`) every one is refused with a 4xx,
 * and a field's problem is 142 naming the field. With the cloud code alone on a plain Parse Server
 * (`cloud code alone`, as on Back4app) the process must still never stop and nothing may be
 * written, but values Parse Server cannot even decode fail there before any cloud code runs
 * (HTTP 500 from Parse itself), and reads with odd options may succeed.
 */
type Mode = 'guarded' | 'cloud code alone';

/**
 * Values that Parse Server decodes into valid ones before any cloud code runs, so that a plain host
 * stores what they decode to: a Date whose `iso` is a number becomes that many milliseconds after
 * 1970, a valid Date the triggers cannot tell from one sent as text. The guard refuses them.
 * (Whether the fuzz saw such a save refused on a plain host depended on which concurrent case got
 * the row first.) A plain host is not sent them.
 */
const DECODED_BY_PARSE = ['Date with a numeric iso'];
const decodedBeforeCloudCode = (fuzz: Case) => DECODED_BY_PARSE.some((label) => fuzz.what.endsWith(`: ${label}`));

function problemWith({ fuzz, status, text, json }: Outcome, mode: Mode): string | null {
  if (status === 0) return 'no answer';
  const plain = mode === 'cloud code alone';
  if (plain && fuzz.http) return null; // the host's express, not Parse Server or our cloud code
  if (STACK_TRACE.test(text)) return 'a stack trace';
  if (status >= 500) return plain ? null : 'a 5xx';
  if (fuzz.kind === 'graphql') {
    const refused = status >= 400 || (Array.isArray(json?.errors) && json.errors.length > 0);
    return refused || (plain && fuzz.harmless) ? null : 'a GraphQL success';
  }
  if (fuzz.kind === 'batch' && status < 400 && Array.isArray(json)) {
    return json.some((item) => item && 'success' in item) ? 'a batch write that succeeded' : plain ? null : 'a batch not refused whole';
  }
  if (status < 400) return plain && fuzz.harmless ? null : 'a success';
  if (mode === 'guarded' && fuzz.field && json?.code === 142 && !String(json.error).includes(fuzz.field)) return `a 142 not naming ${fuzz.field}`;
  return null;
}

/** Parse Server's log of each HTTP 500 it answered: its stack must not pass through our cloud code. */
function fiveHundredsFromCloudCode(printed: string): string[] {
  return printed
    .split('\n')
    .filter((line) => line.includes('Uncaught internal server error'))
    .map((line) => /"stack":("(?:[^"\\]|\\.)*")/.exec(line)?.[1])
    .map((stack) => (stack ? (JSON.parse(stack) as string) : ''))
    .filter((stack) => stack.split('\n').some((frame) => frame.includes(`${ROOT}/cloud/`)));
}

function describeFuzz(title: string, mode: Mode, start: () => Promise<TestServer>) {
  describe(title, () => {
    let server: TestServer;
    let sessions: Record<Role, Session | undefined>;
    let seeded: Seeded;

    beforeAll(async () => {
      server = await start();
      const admin = await server.admin();
      const productId = await server.product({ name: 'Fuzzed', price: 20, stock: 25 });
      const now = Date.now();
      const saleId = await server.sale(productId, { discount: 10, startTime: new Date(now - 3_600_000), endTime: new Date(now + 3_600_000), quantityLimit: 5 });
      const coupon = await server.ok('POST', '/classes/Coupon', { code: 'FUZZ5', discount: 5, usageLimit: 10 }, { session: admin });
      const code = await server.ok(
        'POST', '/classes/DiscountCode',
        { code: 'FUZZ10', percentage: 10, validUntil: { __type: 'Date', iso: new Date(now + 86_400_000).toISOString() }, products: [productRef(productId)] },
        { session: admin },
      );
      const [inventory] = await server.inventoryRows(productId);
      seeded = { productId, saleId, couponId: coupon.objectId, codeId: code.objectId, inventoryId: inventory.objectId };
      sessions = { anonymous: undefined, customer: await server.signUp('fuzz'), admin };
    });
    afterAll(() => server?.stop());

    test('at least 500 distinct malformed requests: the server stays up and nothing moves', async () => {
      const before = await counters(server);
      const outputBefore = server.spawned.output().length;
      const cases = generateCases(seeded).filter((fuzz) => mode === 'guarded' || !decodedBeforeCloudCode(fuzz));
      const distinct = new Set(cases.map((c) => (typeof c.body === 'string' ? c.body : JSON.stringify(c.body ?? c.path))));
      console.log(`${title}: ${cases.length} requests, ${distinct.size} distinct bodies`);
      expect(distinct.size).toBeGreaterThanOrEqual(500);
      const covered = JSON.stringify(cases.map((c) => c.body));
      for (const type of ['Pointer', 'Date', 'Bytes', 'File', 'GeoPoint', 'Polygon', 'Relation', 'Object']) expect(covered).toContain(`"__type":"${type}"`);
      for (const op of ['Increment', 'Add', 'AddUnique', 'Remove', 'Delete', 'AddRelation', 'RemoveRelation', 'Batch', 'Hack']) expect(covered).toContain(`"__op":"${op}"`);

      const outcomes = await pool(cases, 8, (fuzz) => send(server, sessions, fuzz));

      const byStatus = outcomes.reduce<Record<number, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
      console.log(`${title}: answers by status ${JSON.stringify(byStatus)}`);
      const failures = outcomes.flatMap((outcome) => {
        const problem = problemWith(outcome, mode);
        return problem ? [`${problem}: ${outcome.fuzz.what} as ${outcome.fuzz.role}: ${outcome.status} ${outcome.text.slice(0, 300)}`] : [];
      });
      expect(failures).toEqual([]);
      if (mode === 'guarded') {
        const rest = outcomes.filter((o) => o.fuzz.kind !== 'graphql');
        expect(rest.filter(({ json }) => json?.code === 142).length).toBeGreaterThanOrEqual(rest.length * 0.9);
      }

      // The server is up, every counter and row is as it was, and our code printed no error.
      expect(server.spawned.child.exitCode).toBeNull();
      expect(await server.request('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
      const printed = server.spawned.output().slice(outputBefore);
      expect(printed).not.toMatch(/uncaught exception|unhandled promise rejection|exited with code|killed by|Unexpected error in/i);
      if (mode === 'guarded') expect(printed).not.toMatch(STACK_TRACE);
      else expect(fiveHundredsFromCloudCode(printed)).toEqual([]);
      expect(await counters(server)).toEqual(before);
      expect(before.Order).toEqual([]);
      expect(before.Transaction).toEqual([]);

      // Live Query: broken frames and subscriptions with broken constraints, then a change that every
      // subscription is matched against.
      const frames = await liveQueryFuzz(server, seeded.productId);
      console.log(`${title}: ${frames} Live Query frames`);
      expect(server.spawned.child.exitCode).toBeNull();
      expect(await server.request('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(server.spawned.output().slice(outputBefore)).not.toMatch(/uncaught exception|unhandled promise rejection|exited with code|killed by|Unexpected error in/i);
    }, 120_000);
  });
}

describeFuzz('fuzz, as the tests run the server', 'guarded', () => startTestServer());
describeFuzz('fuzz, as npm start runs it (development)', 'guarded', () => startTestServer({ NODE_ENV: 'development', DEMO_DATA: 'false' }));
describeFuzz('fuzz, cloud code alone on a plain Parse Server', 'cloud code alone', () => startPlainServer());
