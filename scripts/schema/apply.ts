/**
 * schema:push's edge: reads what the server has, asks which replaced fields hold data, and applies
 * a plan through Parse's REST schema API, whose rules it follows (see each request).
 */
import type { Change, ClassSchema, FieldSpec, IndexKeys, ServerState } from './plan';
import type { ParseRest } from './parse-rest';

export async function readServerState(rest: ParseRest, roles: string[]): Promise<ServerState> {
  // GET /schemas first: it needs the master key, so a wrong key is told apart from anything else.
  const { results: classes } = await rest.request<{ results: ClassSchema[] }>('GET', '/schemas');
  const where = encodeURIComponent(JSON.stringify({ name: { $in: roles } }));
  const found = await rest.request<{ results: Array<{ name: string }> }>('GET', `/classes/_Role?where=${where}&keys=name&limit=${roles.length}`);
  const graphQLConfig = await rest.request('GET', '/graphql-config');
  return { classes, roles: found.results.map((role) => role.name), graphQLConfig };
}

/**
 * The replaced fields that hold a value in some row, as `Class.field`. The count has a `where`, so
 * it is exact on PostgreSQL too (a count without one is the planner's estimate there). A Relation
 * keeps its values in a join table that `$exists` cannot see, so one always counts as holding data.
 */
export async function fieldsHoldingData(rest: ParseRest, changes: Change[]): Promise<Set<string>> {
  const holding = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'replaceField') continue;
    const name = `${change.className}.${change.field}`;
    if (change.from.type === 'Relation') {
      holding.add(name);
      continue;
    }
    const where = encodeURIComponent(JSON.stringify({ [change.field]: { $exists: true } }));
    const { count } = await rest.request<{ count: number }>('GET', `/classes/${change.className}?where=${where}&count=1&limit=0`);
    if (count > 0) holding.add(name);
  }
  return holding;
}

interface ClassUpdate {
  deleteFields: string[];
  deleteIndexes: string[];
  fields: Record<string, FieldSpec>;
  indexes: Record<string, IndexKeys>;
  classLevelPermissions?: Record<string, unknown>;
}

function fieldsOnly(definition: ClassSchema): Record<string, FieldSpec> {
  return definition.fields ?? {};
}

/** Applies the plan: per class, at most three requests; then the roles, then the GraphQL config. */
export async function applyPlan(rest: ParseRest, changes: Change[]): Promise<void> {
  const updates = new Map<string, ClassUpdate>();
  const update = (className: string) => {
    let entry = updates.get(className);
    if (!entry) updates.set(className, (entry = { deleteFields: [], deleteIndexes: [], fields: {}, indexes: {} }));
    return entry;
  };

  for (const change of changes) {
    switch (change.kind) {
      case 'createClass': {
        // Fields, indexes and permissions in one POST: Parse creates the table and its indexes together.
        const { className, definition } = change;
        await rest.request('POST', `/schemas/${className}`, {
          className,
          fields: fieldsOnly(definition),
          indexes: definition.indexes ?? {},
          classLevelPermissions: definition.classLevelPermissions,
        });
        break;
      }
      case 'addField':
      case 'changeFieldOptions':
        // A PUT of an existing field of the same type updates its options (required, defaultValue).
        update(change.className).fields[change.field] = change.to;
        break;
      case 'replaceField':
        update(change.className).deleteFields.push(change.field);
        update(change.className).fields[change.field] = change.to;
        break;
      case 'addIndex':
        update(change.className).indexes[change.index] = change.to;
        break;
      case 'replaceIndex':
        update(change.className).deleteIndexes.push(change.index);
        update(change.className).indexes[change.index] = change.to;
        break;
      case 'setPermissions':
        update(change.className).classLevelPermissions = change.to;
        break;
      case 'createRole':
      case 'setGraphQLConfig':
        break;
    }
  }

  for (const [className, entry] of updates) {
    // Parse refuses to retype a field or modify an index in place: delete first, in a request of its own.
    if (entry.deleteFields.length > 0 || entry.deleteIndexes.length > 0) {
      await rest.request('PUT', `/schemas/${className}`, {
        className,
        fields: Object.fromEntries(entry.deleteFields.map((field) => [field, { __op: 'Delete' }])),
        indexes: Object.fromEntries(entry.deleteIndexes.map((index) => [index, { __op: 'Delete' }])),
      });
    }
    // Fields before indexes and permissions in one PUT: Parse adds the fields first, so a new index or
    // protected field may name a field added here.
    await rest.request('PUT', `/schemas/${className}`, {
      className,
      fields: entry.fields,
      indexes: entry.indexes,
      ...(entry.classLevelPermissions ? { classLevelPermissions: entry.classLevelPermissions } : {}),
    });
  }

  for (const change of changes) {
    // The role's ACL is empty, as the cloud code's ensureAdminRole makes it: only the master key
    // reads or changes it, so nobody can make themselves an admin.
    if (change.kind === 'createRole') await rest.request('POST', '/classes/_Role', { name: change.name, ACL: {} });
    if (change.kind === 'setGraphQLConfig') await rest.request('PUT', '/graphql-config', { params: change.to });
  }
}
