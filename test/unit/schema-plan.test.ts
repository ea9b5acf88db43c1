import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { type ClassSchema, describeChange, PARSE_FIELDS, planSchema, refusedReplacements, type ServerState } from '../../scripts/schema/plan';

const CLP = {
  find: { '*': true },
  get: { '*': true },
  count: { '*': true },
  create: { 'role:admin': true },
  update: { 'role:admin': true },
  delete: { 'role:admin': true },
  addField: {},
  protectedFields: {},
};

const product: ClassSchema = {
  className: 'Product',
  fields: { name: { type: 'String', required: true }, active: { type: 'Boolean', defaultValue: true } },
  indexes: { active_name: { active: 1, name: 1 } },
  classLevelPermissions: CLP,
};

/** Product as GET /schemas answers once it was pushed: Parse's own fields and index, its CLP filling. */
const productOnServer: ClassSchema = {
  className: 'Product',
  fields: {
    objectId: { type: 'String' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    ACL: { type: 'ACL' },
    active: { type: 'Boolean', defaultValue: true },
    name: { type: 'String', required: true },
  },
  indexes: { _id_: { _id: 1 }, active_name: { name: 1, active: 1 } },
  classLevelPermissions: { ...CLP, protectedFields: { '*': [] } },
};

const graphQLConfig = { disabledForClasses: ['Lock'], classConfigs: [] };
const wanted = { definitions: [product], roles: ['admin'], graphQLConfig };

function server(classes: ClassSchema[], roles = ['admin'], config: unknown = graphQLConfig): ServerState {
  return { classes, roles, graphQLConfig: config };
}

function lines(state: ServerState) {
  return planSchema(state, wanted).changes.flatMap(describeChange);
}

describe('planSchema', () => {
  test('finds nothing to change on a server that has the schema, whatever order PostgreSQL keeps keys in', () => {
    expect(planSchema(server([productOnServer]), wanted)).toEqual({ changes: [], leftAlone: [] });
  });

  test('creates a missing class with its fields, indexes and permissions, one line each', () => {
    expect(lines(server([]))).toEqual([
      'create class Product',
      '  add field Product.name: String, required',
      '  add field Product.active: Boolean, default true',
      '  add index Product.active_name (active, name)',
      '  set permissions Product: find: *; get: *; count: *; create: role:admin; update: role:admin; delete: role:admin; addField: master key only',
    ]);
  });

  test('adds a missing field and changes the options of one whose type matches', () => {
    const { active: _dropped, ...fields } = productOnServer.fields!;
    const state = server([{ ...productOnServer, fields: { ...fields, name: { type: 'String' } } }]);
    expect(lines(state)).toEqual(['change field Product.name: String -> String, required', 'add field Product.active: Boolean, default true']);
  });

  test('replaces a field of another type or pointer target, and leaves fields schema/ does not name alone', () => {
    const state = server([
      { ...productOnServer, fields: { ...productOnServer.fields, name: { type: 'Number' }, legacy: { type: 'String' } } },
      { className: 'Cart', fields: { user: { type: 'Pointer', targetClass: 'Product' } } },
    ]);
    const cart: ClassSchema = { className: 'Cart', fields: { user: { type: 'Pointer', targetClass: '_User', required: true } } };
    const plan = planSchema(state, { ...wanted, definitions: [product, cart] });
    expect(plan.changes.flatMap(describeChange)).toEqual([
      'replace field Cart.user: Pointer<Product> -> Pointer<_User>, required (deletes its values)',
      'replace field Product.name: Number -> String, required (deletes its values)',
    ]);
    expect(plan.leftAlone).toEqual(['field Product.legacy']);
  });

  test('adds a missing index and replaces one whose fields changed', () => {
    const state = server([{ ...productOnServer, indexes: { _id_: { _id: 1 }, active_name: { active: 1 }, old: { name: -1 } } }]);
    const plan = planSchema(state, { ...wanted, definitions: [{ ...product, indexes: { ...product.indexes, by_name: { name: 1 } } }] });
    expect(plan.changes.flatMap(describeChange)).toEqual([
      'replace index Product.active_name: (active) -> (active, name)',
      'add index Product.by_name (name)',
    ]);
    expect(plan.leftAlone).toEqual(['index Product.old']);
  });

  test("sets permissions that differ, not those that differ only by Parse's filling", () => {
    const defaults = { ACL: { '*': { read: true, write: true } }, ...CLP, create: { '*': true }, addField: { '*': true }, protectedFields: { '*': [] } };
    expect(lines(server([{ ...productOnServer, classLevelPermissions: defaults }]))).toEqual([
      'set permissions Product: find: *; get: *; count: *; create: role:admin; update: role:admin; delete: role:admin; addField: master key only',
    ]);
    const reordered = Object.fromEntries(Object.entries(CLP).reverse());
    expect(lines(server([{ ...productOnServer, classLevelPermissions: reordered }]))).toEqual([]);
  });

  test('compares protected fields as sets and names who cannot read them', () => {
    const withEmail = { ...CLP, protectedFields: { '*': ['email', 'phone'] } };
    const definition = { ...product, classLevelPermissions: withEmail };
    const state = server([{ ...productOnServer, classLevelPermissions: { ...CLP, protectedFields: { '*': ['phone', 'email'] } } }]);
    expect(planSchema(state, { ...wanted, definitions: [definition] }).changes).toEqual([]);
    expect(planSchema(server([productOnServer]), { ...wanted, definitions: [definition] }).changes.flatMap(describeChange)).toEqual([
      'set permissions Product: find: *; get: *; count: *; create: role:admin; update: role:admin; delete: role:admin; addField: master key only; * cannot read email, phone',
    ]);
  });

  test("never plans Parse's own fields of its classes, and creates one a fresh server has not stored yet", () => {
    const session: ClassSchema = { className: '_Session', fields: { sessionToken: { type: 'String' } }, classLevelPermissions: CLP };
    const user: ClassSchema = { className: '_User', fields: { email: { type: 'String' }, role: { type: 'String', defaultValue: 'customer' } } };
    const userOnServer: ClassSchema = { className: '_User', fields: { email: { type: 'String' }, username: { type: 'String' }, authData: { type: 'Object' } } };
    const plan = planSchema(server([productOnServer, userOnServer]), { ...wanted, definitions: [product, user, session] });
    expect(plan.changes.flatMap(describeChange)).toEqual([
      'create class _Session',
      '  set permissions _Session: find: *; get: *; count: *; create: role:admin; update: role:admin; delete: role:admin; addField: master key only',
      'add field _User.role: String, default "customer"',
    ]);
    expect(plan.leftAlone).toEqual([]);
  });

  test('creates a missing role and sets a GraphQL config that differs', () => {
    expect(lines(server([productOnServer], [], {}))).toEqual([
      'create role admin (master key only)',
      'set GraphQL config (the classes and fields the typed operations expose)',
    ]);
    expect(lines(server([productOnServer], ['admin'], { classConfigs: [], disabledForClasses: ['Lock'] }))).toEqual([]);
  });
});

describe('refusedReplacements', () => {
  const state = server([{ ...productOnServer, fields: { ...productOnServer.fields, name: { type: 'Number' }, active: { type: 'String' } } }]);
  const { changes } = planSchema(state, wanted);

  test('refuses to replace a field that holds data, naming class and field', () => {
    expect(refusedReplacements(changes, new Set(['Product.name']), false)).toEqual(['Product.name']);
  });

  test('replaces an empty field without --force, and one holding data with it', () => {
    expect(refusedReplacements(changes, new Set(), false)).toEqual([]);
    expect(refusedReplacements(changes, new Set(['Product.name', 'Product.active']), true)).toEqual([]);
  });
});

test("PARSE_FIELDS are Parse Server's own default columns", () => {
  const { defaultColumns } = createRequire(__filename)('parse-server/lib/Controllers/SchemaController');
  for (const [className, fields] of Object.entries(PARSE_FIELDS)) {
    expect(fields.sort()).toEqual(Object.keys(defaultColumns[className]).sort());
  }
});
