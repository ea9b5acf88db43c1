/**
 * What `npm run schema:push` would change: the server's schema as GET /schemas answers it, compared
 * with schema/ semantically, so that a second run finds nothing. Pure: no requests, no clock.
 */

export interface FieldSpec {
  type: string;
  targetClass?: string;
  required?: boolean;
  defaultValue?: unknown;
}

export type IndexKeys = Record<string, unknown>;

/** One class as schema/ defines it, or as GET /schemas answers it. */
export interface ClassSchema {
  className: string;
  fields?: Record<string, FieldSpec>;
  indexes?: Record<string, IndexKeys>;
  classLevelPermissions?: Record<string, unknown>;
}

export interface ServerState {
  classes: ClassSchema[];
  /** Names of the roles that exist. */
  roles: string[];
  /** GET /graphql-config (`{}` when none was ever set). */
  graphQLConfig: unknown;
}

export interface Wanted {
  definitions: ClassSchema[];
  roles: string[];
  graphQLConfig: unknown;
}

export type Change =
  | { kind: 'createClass'; className: string; definition: ClassSchema }
  | { kind: 'addField'; className: string; field: string; to: FieldSpec }
  | { kind: 'changeFieldOptions'; className: string; field: string; from: FieldSpec; to: FieldSpec }
  /** A field of another type (or pointer target) on the server: deleted, then added as schema/ says. */
  | { kind: 'replaceField'; className: string; field: string; from: FieldSpec; to: FieldSpec }
  | { kind: 'addIndex'; className: string; index: string; to: IndexKeys }
  /** Parse cannot modify an index: it is deleted, then added under the same name. */
  | { kind: 'replaceIndex'; className: string; index: string; from: IndexKeys; to: IndexKeys }
  | { kind: 'setPermissions'; className: string; from: Record<string, unknown> | undefined; to: Record<string, unknown> }
  | { kind: 'createRole'; name: string }
  | { kind: 'setGraphQLConfig'; to: unknown };

export interface Plan {
  changes: Change[];
  /** What is on the server but not in schema/: left alone. */
  leftAlone: string[];
}

/**
 * Parse's own classes. A fresh server stores only _User and _Role until the first session or
 * installation is saved; the others are then created through the schema API, as Parse's own
 * defined-schema start-up does.
 */
export const SYSTEM_CLASSES = ['_User', '_Role', '_Session', '_Installation'];

/** Fields Parse Server gives a class itself (its SchemaController's defaultColumns): never touched. */
export const PARSE_FIELDS: Record<string, string[]> = {
  _Default: ['objectId', 'createdAt', 'updatedAt', 'ACL'],
  _User: ['username', 'password', 'email', 'emailVerified', 'authData'],
  _Installation: ['installationId', 'deviceToken', 'channels', 'deviceType', 'pushType', 'GCMSenderId', 'timeZone', 'localeIdentifier', 'badge', 'appVersion', 'appName', 'appIdentifier', 'parseVersion'],
  _Role: ['name', 'users', 'roles'],
  _Session: ['user', 'installationId', 'sessionToken', 'expiresAt', 'createdWith'],
};

/** Indexes Parse Server makes itself. */
const PARSE_INDEXES: Record<string, string[]> = {
  _Default: ['_id_'],
  _User: ['case_insensitive_username', 'case_insensitive_email', 'username_1', 'email_1'],
  _Role: ['name_1'],
};

function isParseField(className: string, field: string): boolean {
  return PARSE_FIELDS._Default.includes(field) || (PARSE_FIELDS[className] ?? []).includes(field);
}

function isParseIndex(className: string, index: string): boolean {
  return PARSE_INDEXES._Default.includes(index) || (PARSE_INDEXES[className] ?? []).includes(index);
}

/** JSON with object keys sorted, so that two values compare equal whatever order a store keeps. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function sameType(a: FieldSpec, b: FieldSpec): boolean {
  return a.type === b.type && (a.targetClass ?? null) === (b.targetClass ?? null);
}

function sameOptions(a: FieldSpec, b: FieldSpec): boolean {
  return (a.required ?? false) === (b.required ?? false) && sameValue(a.defaultValue ?? null, b.defaultValue ?? null);
}

/**
 * Class-level permissions as Parse means them: it stores `protectedFields: { '*': [] }` for "none",
 * and adds the `ACL` default only until permissions are first set. Keys compare in any order; the
 * fields of a protectedFields entry as a set.
 */
export function normalisePermissions(clp: Record<string, unknown> | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(clp ?? {})) {
    if (key === 'protectedFields') {
      const entries = Object.entries((value ?? {}) as Record<string, string[]>)
        .filter(([, fields]) => Array.isArray(fields) && fields.length > 0)
        .map(([who, fields]) => [who, [...fields].sort()]);
      result[key] = Object.fromEntries(entries);
    } else if ((key === 'readUserFields' || key === 'writeUserFields') && Array.isArray(value)) {
      if (value.length > 0) result[key] = [...value].sort();
    } else {
      result[key] = value;
    }
  }
  result.protectedFields ??= {};
  return result;
}

/**
 * Index keys compare as a set of (field, direction): PostgreSQL keeps a class's indexes in a jsonb
 * column, which does not keep key order, so `{ order: 1, type: 1 }` reads back as `{ type: 1, order: 1 }`.
 */
function sameIndex(a: IndexKeys, b: IndexKeys): boolean {
  return sameValue(a, b);
}

function planClass(server: ClassSchema, wanted: ClassSchema, changes: Change[], leftAlone: string[]): void {
  const { className } = wanted;
  const serverFields = server.fields ?? {};
  for (const [field, to] of Object.entries(wanted.fields ?? {})) {
    if (isParseField(className, field)) continue;
    const from = serverFields[field];
    if (!from) changes.push({ kind: 'addField', className, field, to });
    else if (!sameType(from, to)) changes.push({ kind: 'replaceField', className, field, from, to });
    else if (!sameOptions(from, to)) changes.push({ kind: 'changeFieldOptions', className, field, from, to });
  }
  for (const field of Object.keys(serverFields)) {
    if (!isParseField(className, field) && !(field in (wanted.fields ?? {}))) leftAlone.push(`field ${className}.${field}`);
  }

  const serverIndexes = server.indexes ?? {};
  for (const [index, to] of Object.entries(wanted.indexes ?? {})) {
    const from = serverIndexes[index];
    if (!from) changes.push({ kind: 'addIndex', className, index, to });
    else if (!sameIndex(from, to)) changes.push({ kind: 'replaceIndex', className, index, from, to });
  }
  for (const index of Object.keys(serverIndexes)) {
    if (!isParseIndex(className, index) && !(index in (wanted.indexes ?? {}))) leftAlone.push(`index ${className}.${index}`);
  }

  const to = wanted.classLevelPermissions;
  if (to && !sameValue(normalisePermissions(server.classLevelPermissions), normalisePermissions(to))) {
    changes.push({ kind: 'setPermissions', className, from: server.classLevelPermissions, to });
  }
}

/** The changes that make the server match `wanted`, in the order they can be applied. */
export function planSchema(server: ServerState, wanted: Wanted): Plan {
  const changes: Change[] = [];
  const leftAlone: string[] = [];
  const onServer = new Map(server.classes.map((c) => [c.className, c]));
  for (const definition of [...wanted.definitions].sort((a, b) => (a.className < b.className ? -1 : 1))) {
    const existing = onServer.get(definition.className);
    if (existing) planClass(existing, definition, changes, leftAlone);
    else changes.push({ kind: 'createClass', className: definition.className, definition });
  }
  for (const name of wanted.roles) {
    if (!server.roles.includes(name)) changes.push({ kind: 'createRole', name });
  }
  if (!sameValue(server.graphQLConfig ?? {}, wanted.graphQLConfig)) changes.push({ kind: 'setGraphQLConfig', to: wanted.graphQLConfig });
  return { changes, leftAlone };
}

/**
 * Fields the plan would delete that hold data, as `Class.field`: refused unless forced.
 * `holdsData` answers for each replaced field (a count query at the edge).
 */
export function refusedReplacements(changes: Change[], holdsData: ReadonlySet<string>, force: boolean): string[] {
  if (force) return [];
  return changes
    .filter((c): c is Extract<Change, { kind: 'replaceField' }> => c.kind === 'replaceField')
    .map((c) => `${c.className}.${c.field}`)
    .filter((name) => holdsData.has(name));
}

function describeField(spec: FieldSpec): string {
  const type = spec.targetClass ? `${spec.type}<${spec.targetClass}>` : spec.type;
  const options = [spec.required ? 'required' : null, spec.defaultValue !== undefined ? `default ${JSON.stringify(spec.defaultValue)}` : null];
  return [type, ...options.filter((o) => o !== null)].join(', ');
}

function describeIndex(keys: IndexKeys): string {
  return `(${Object.entries(keys).map(([field, direction]) => (direction === 1 ? field : `${field} ${String(direction)}`)).join(', ')})`;
}

/** `find: *; create: role:admin; protected from *: email` — who may do what, on one line. */
export function describePermissions(clp: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(normalisePermissions(clp))) {
    if (key === 'protectedFields') {
      for (const [who, fields] of Object.entries(value as Record<string, string[]>)) parts.push(`${who} cannot read ${fields.join(', ')}`);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const who = Object.keys(value);
      parts.push(`${key}: ${who.length > 0 ? who.join(', ') : 'master key only'}`);
    } else {
      parts.push(`${key}: ${JSON.stringify(value)}`);
    }
  }
  return parts.join('; ');
}

/** One line per change (a new class: one line for it and one for each field, index and its permissions). */
export function describeChange(change: Change): string[] {
  switch (change.kind) {
    case 'createClass': {
      const { className, definition } = change;
      return [
        `create class ${className}`,
        ...Object.entries(definition.fields ?? {})
          .filter(([field]) => !isParseField(className, field))
          .map(([field, spec]) => `  add field ${className}.${field}: ${describeField(spec)}`),
        ...Object.entries(definition.indexes ?? {}).map(([index, keys]) => `  add index ${className}.${index} ${describeIndex(keys)}`),
        ...(definition.classLevelPermissions ? [`  set permissions ${className}: ${describePermissions(definition.classLevelPermissions)}`] : []),
      ];
    }
    case 'addField':
      return [`add field ${change.className}.${change.field}: ${describeField(change.to)}`];
    case 'changeFieldOptions':
      return [`change field ${change.className}.${change.field}: ${describeField(change.from)} -> ${describeField(change.to)}`];
    case 'replaceField':
      return [`replace field ${change.className}.${change.field}: ${describeField(change.from)} -> ${describeField(change.to)} (deletes its values)`];
    case 'addIndex':
      return [`add index ${change.className}.${change.index} ${describeIndex(change.to)}`];
    case 'replaceIndex':
      return [`replace index ${change.className}.${change.index}: ${describeIndex(change.from)} -> ${describeIndex(change.to)}`];
    case 'setPermissions':
      return [`set permissions ${change.className}: ${describePermissions(change.to)}`];
    case 'createRole':
      return [`create role ${change.name} (master key only)`];
    case 'setGraphQLConfig':
      return ['set GraphQL config (the classes and fields the typed operations expose)'];
  }
}
