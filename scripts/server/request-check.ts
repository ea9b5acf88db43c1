/**
 * Which checks a request to the Parse mount gets, by route: object writes against the class's
 * fields in schema/ (plus Parse's own columns), finds against the same fields, function and job
 * parameters as plain values, and each sub-request of a batch as if it came alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../parse-config';
import { PARSE_INDEXED_FIELDS } from '../../cloud/edge/internal-fields';
import { checkFindOptions, checkWhere } from '../../cloud/edge/rest-queries';
import { type Check, type ClassSpec, checkObjectWrite, checkValue, classSpec, isRecord, join, problemAt } from '../../cloud/edge/rest-values';
import { UNIQUE_INDEXES } from '../../cloud/setup/unique-indexes';

type Fields = Record<string, { type: string; targetClass?: string; required?: boolean }>;
interface Definition {
  className: string;
  fields?: Fields;
  indexes?: Record<string, Record<string, unknown>>;
}

/** Parse Server's own columns of every class and of its built-in classes. */
function parseColumns(): Record<string, Fields> {
  return (require('parse-server/lib/Controllers/SchemaController') as { defaultColumns: Record<string, Fields> }).defaultColumns;
}

let specs: Map<string, ClassSpec> | undefined;

/** Every class's fields: schema/*.json over Parse's columns, with index length limits. */
export function schemaSpecs(dir = path.join(PROJECT_ROOT, 'schema')): Map<string, ClassSpec> {
  if (specs) return specs;
  const columns = parseColumns();
  const definitions: Definition[] = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  const byClass = new Map<string, Definition>(['_User', '_Role', '_Session', '_Installation'].map((className) => [className, { className }]));
  for (const definition of definitions) byClass.set(definition.className, definition);
  specs = new Map();
  for (const [className, definition] of byClass) {
    const fields = { ...columns._Default, ...columns[className], ...definition.fields };
    const indexed = [
      ...Object.values(definition.indexes ?? {}).flatMap((index) => Object.keys(index)),
      ...(PARSE_INDEXED_FIELDS[className] ?? []),
      ...UNIQUE_INDEXES.filter((index) => index.className === className).flatMap((index) => index.fields),
    ];
    specs.set(className, classSpec(fields, indexed));
  }
  return specs;
}

const lookup = (className: string) => schemaSpecs().get(className);

const RESOURCES: Array<[RegExp, (match: RegExpExecArray) => string]> = [
  [/^\/classes\/([A-Za-z_][A-Za-z0-9_]*)(?:\/([^/]+))?\/?$/, (m) => m[1]],
  [/^\/users(?:\/([^/]+))?\/?$/, () => '_User'],
  [/^\/roles(?:\/([^/]+))?\/?$/, () => '_Role'],
  [/^\/sessions(?:\/([^/]+))?\/?$/, () => '_Session'],
  [/^\/installations(?:\/([^/]+))?\/?$/, () => '_Installation'],
];

function resourceOf(route: string): { className: string; objectId?: string } | undefined {
  for (const [pattern, className] of RESOURCES) {
    const match = pattern.exec(route);
    if (match) return { className: className(match), objectId: match[match.length - 1] };
  }
  return undefined;
}

/** A find's options from the body (a POST with `_method: GET`, a batch GET) and the query string. */
function checkFind(className: string, options: Record<string, unknown>, at: string): Check {
  let where = options.where;
  if (typeof where === 'string') {
    try {
      where = JSON.parse(where);
    } catch {
      return problemAt(join(at, 'where'), 'must be JSON');
    }
  }
  if (where !== undefined) {
    const found = checkWhere(lookup, className, where, join(at, 'where'));
    if (found) return found;
  }
  const found = checkFindOptions(options);
  return found && at ? { ...found, field: join(at, found.field) } : found;
}

/** One request to the Parse mount (or one sub-request of a batch); `at` prefixes field names. */
export function checkRoute(method: string, route: string, body: unknown, query: Record<string, unknown>, at = ''): Check {
  const overridden = method === 'POST' && isRecord(body) && typeof body._method === 'string';
  const verb = overridden ? String((body as Record<string, unknown>)._method).toUpperCase() : method;
  if (route === '/batch') return method === 'POST' ? checkBatch(body, at) : null;
  const resource = resourceOf(route);
  if (resource) {
    const { className, objectId } = resource;
    // A field the class does not have is Parse's to refuse, after access: 119 to whoever may not write.
    if ((verb === 'POST' && !objectId) || (verb === 'PUT' && objectId)) return checkObjectWrite(className, lookup(className), body, at, 'check');
    if (verb === 'GET') return checkFind(className, { ...query, ...(isRecord(body) ? body : {}) }, at);
  }
  const params = /^\/(functions|jobs)\//.test(route);
  // Parse's schema and config routes use `{ "__op": "Delete" }` inside their bodies.
  const ops = params ? 'nowhere' : resource?.className === '_Role' ? 'anywhere, relations too' : 'anywhere';
  return checkValue(body, at, ops) ?? (params ? checkValue(query, at) : null);
}

/** Leaves only the route of a batch path (`/parse/classes/Order` is `/classes/Order`). */
function batchRoute(fullPath: string): string | undefined {
  return /\/(classes|users|roles|sessions|installations|functions|jobs|login|logout|batch)(\/.*)?$/.exec(fullPath)?.[0];
}

function checkBatch(body: unknown, at: string): Check {
  if (!isRecord(body) || !Array.isArray(body.requests)) return null; // Parse answers 107
  for (let i = 0; i < body.requests.length; i++) {
    const request = body.requests[i];
    const place = join(at, `requests.${i}`);
    if (!isRecord(request) || typeof request.method !== 'string' || typeof request.path !== 'string') {
      return problemAt(place, 'each request needs "method" and "path" (and "body" for a write)');
    }
    const route = batchRoute(request.path);
    if (route === undefined) return problemAt(join(place, 'path'), 'must be a path of this API, like /parse/classes/Order');
    if (route.startsWith('/batch')) return problemAt(join(place, 'path'), 'a batch cannot contain another batch');
    const found = checkRoute(request.method.toUpperCase(), route, request.body ?? {}, {}, join(place, 'body'));
    if (found) return found;
  }
  return null;
}

/**
 * Routes of features this server does not have, which Parse Server answers with HTTP 500: password
 * reset and email verification need an email adapter, and none is configured; upgrading a legacy
 * session writes a `_User.sessionToken` column that PostgreSQL does not have (every session here is
 * revocable already). The message says so.
 */
export function unavailableFeature(method: string, route: string): string | null {
  if (method !== 'POST') return null;
  if (/^\/(requestPasswordReset|verificationEmailRequest)\/?$/.test(route)) {
    return 'This server sends no email, so password reset and email verification are not available; ask the shop for help.';
  }
  if (/^\/upgradeToRevocableSession\/?$/.test(route)) return 'Every session of this server is revocable already; there is nothing to upgrade.';
  return null;
}

/** A request as express sees it on the Parse mount; null when Parse may have it. */
export function checkRequest(method: string, route: string, body: unknown, query: Record<string, unknown>): Check {
  for (const [key, value] of Object.entries(query)) {
    const found = checkValue(value, key);
    if (found) return found;
  }
  return checkRoute(method, route, body, query);
}
