import { describe, expect, test } from 'vitest';
import { checkFindOptions, checkWhere } from '../../cloud/edge/rest-queries';
import { type ClassSpec, checkFieldWrite, checkObjectWrite, checkValue, classSpec, INDEXED_TEXT_MAX } from '../../cloud/edge/rest-values';

const PRODUCT: ClassSpec = classSpec(
  {
    objectId: { type: 'String' },
    createdAt: { type: 'Date' },
    ACL: { type: 'ACL' },
    name: { type: 'String', required: true },
    price: { type: 'Number', required: true },
    description: { type: 'String' },
    active: { type: 'Boolean' },
    startsAt: { type: 'Date' },
    tags: { type: 'Array' },
    settings: { type: 'Object' },
    maker: { type: 'Pointer', targetClass: 'Maker' },
    fans: { type: 'Relation', targetClass: '_User' },
    spot: { type: 'GeoPoint' },
  },
  ['name'],
);
const lookup = (className: string) => (className === 'Product' ? PRODUCT : undefined);
const pointer = (className: string, objectId = 'abc123') => ({ __type: 'Pointer', className, objectId });
const write = (body: Record<string, unknown>) => checkObjectWrite('Product', PRODUCT, body);

describe('checkObjectWrite: every field against its type', () => {
  test('accepts well-formed values and operations', () => {
    expect(
      write({
        name: 'Lamp',
        price: 10,
        description: { __op: 'Delete' },
        active: false,
        startsAt: { __type: 'Date', iso: '2026-01-31T12:00:00.000Z' },
        tags: { __op: 'AddUnique', objects: ['a', pointer('Maker')] },
        settings: { colour: 'red', sizes: [1, 2] },
        'settings.colour': 'blue',
        maker: pointer('Maker'),
        fans: { __op: 'AddRelation', objects: [pointer('_User')] },
        spot: { __type: 'GeoPoint', latitude: -90, longitude: 180 },
        ACL: { '*': { read: true }, 'role:admin': { write: true } },
        _ApplicationId: 'shop',
        _method: 'PUT',
      }),
    ).toBeNull();
    expect(write({ price: { __op: 'Increment', amount: -2.5 } })).toBeNull();
  });

  test.each([
    [{ price: null }, 'price', 'is required'],
    [{ active: null }, 'active', 'cannot be null; send {"__op": "Delete"} to remove it'],
    [{ price: 'ten' }, 'price', 'must be a number'],
    [{ name: { a: 1 } }, 'name', 'must be text'],
    [{ active: 'yes' }, 'active', 'must be true or false'],
    [{ startsAt: '2026-01-01' }, 'startsAt', 'must be a Date'],
    [{ startsAt: { __type: 'Date', iso: 'soon' } }, 'startsAt', 'must be a Date'],
    [{ maker: 'abc123' }, 'maker', 'must be a Pointer to Maker'],
    [{ maker: pointer('Other') }, 'maker', 'must be a Pointer to Maker'],
    [{ maker: { __type: 'Object', className: 'Maker' } }, 'maker', 'must be a Pointer to Maker'],
    [{ tags: 'x' }, 'tags', 'must be a list'],
    [{ settings: [1] }, 'settings', 'must be an object'],
    [{ fans: [] }, 'fans', 'is a Relation; change it with AddRelation or RemoveRelation'],
    [{ spot: { __type: 'GeoPoint', latitude: 91, longitude: 0 } }, 'spot', 'a GeoPoint needs "latitude" from -90 to 90'],
    [{ name: 'x'.repeat(INDEXED_TEXT_MAX + 1) }, 'name', 'must be at most 500 characters'],
    [{ description: 'bad\u0000byte' }, 'description', 'must not contain a NUL character'],
    [{ description: 'lone \ud800 surrogate' }, 'description', 'must be valid Unicode text'],
    [{ price: { __op: 'Increment', amount: 'x' } }, 'price', 'Increment needs a numeric "amount"'],
    [{ name: { __op: 'Increment', amount: 1 } }, 'name', 'Increment works only on a Number field'],
    [{ price: { __op: 'Add', objects: [1] } }, 'price', 'Add works only on an Array field'],
    [{ tags: { __op: 'Add' } }, 'tags', 'Add needs "objects", a list'],
    [{ tags: { __op: 'Remove', objects: [{ __op: 'Delete' }] } }, 'tags.objects.0', 'only allowed as the value of an object\'s field'],
    [{ name: { __op: 'Delete' } }, 'name', 'is required and cannot be removed'],
    [{ tags: { __op: 'AddRelation', objects: [pointer('_User')] } }, 'tags', 'operation "AddRelation" is not supported here'],
    [{ fans: { __op: 'AddRelation', objects: [pointer('Maker')] } }, 'fans', 'AddRelation needs Pointers to _User'],
    [{ fans: { __op: 'RemoveRelation', objects: 'u1' } }, 'fans', 'RemoveRelation needs "objects", a list of Pointers'],
    [{ fans: { __op: 'Batch', ops: [] } }, 'fans', 'operation "Batch" is not supported here'],
    [{ price: { __op: 'Hack' } }, 'price', 'operation "Hack" is not supported here'],
    [{ settings: { nested: { __op: 'Increment', amount: 1 } } }, 'settings.nested', 'only allowed as the value of an object\'s field'],
    [{ tags: [{ __type: 'Relation', className: 'X' }] }, 'tags.0', 'a Relation cannot be sent as a value'],
    [{ 'name.first': 'x' }, 'name.first', 'only an Object field has subfields'],
    [{ 'settings.colour': null }, 'settings.colour', 'cannot be null'],
    [{ colour: 'red' }, 'colour', 'is not a field of Product'],
    [{ ACL: { '*': { read: 'yes' } } }, 'ACL.*', 'must map "*", user ids or "role:<name>"'],
    [{ 'na\u0000me': 'x' }, 'body', 'a field name must not contain a NUL character'],
  ])('refuses %j', (body, field, rule) => {
    const found = write(body);
    expect(found?.field).toBe(field);
    expect(found?.rule).toContain(rule);
  });

  test('cloud code leaves a field the schema lacks to Parse (a host may add fields), still checking its value', () => {
    expect(checkObjectWrite('Product', PRODUCT, { colour: 'red', 'extra.deep': 1 }, '', 'check')).toBeNull();
    expect(checkObjectWrite('Product', PRODUCT, { colour: { __type: 'Object', className: 'X' } }, '', 'check')?.field).toBe('colour');
    expect(checkObjectWrite('Product', PRODUCT, { 'name.first': 'x' }, '', 'check')?.field).toBe('name.first');
  });

  test('without the class schema only the encodings are checked', () => {
    expect(checkObjectWrite('Unknown', undefined, { anything: 5, other: { __op: 'Increment', amount: 1 } })).toBeNull();
    expect(checkObjectWrite('Unknown', undefined, { p: { __type: 'Pointer' } })).toEqual({ field: 'p', rule: 'a Pointer needs "className" and "objectId"' });
  });

  test('a field of an unknown class may take a relation operation, checked', () => {
    expect(checkFieldWrite(undefined, { __op: 'AddRelation', objects: [pointer('_User')] }, 'users')).toBeNull();
    expect(checkFieldWrite(undefined, { __op: 'AddRelation', objects: [pointer('_User'), pointer('_Role')] }, 'users')?.rule).toContain('to one class');
  });
});

describe('checkValue: values outside an object write (parameters, variables)', () => {
  test.each([
    [{ __type: 'Pointer', className: 'Product' }, 'a Pointer needs'],
    [{ __type: 'Date', iso: 5 }, 'a Date needs "iso"'],
    [{ __type: 'Date', iso: '0000-01-01T00:00:00.000Z' }, 'a Date needs "iso"'],
    [{ __type: 'Date', iso: '+275760-09-13T00:00:00.000Z' }, 'a Date needs "iso"'],
    [{ __type: 'Bytes', base64: '***' }, 'Bytes need "base64"'],
    [{ __type: 'File' }, 'a File needs "name"'],
    [{ __type: 'GeoPoint', latitude: 0, longitude: 'east' }, 'a GeoPoint needs'],
    [{ __type: 'Polygon', coordinates: [[0, 0], [1, 1]] }, 'a Polygon needs "coordinates"'],
    [{ __type: 'Polygon', coordinates: [[0, 0], [1, 1], [100, 0]] }, 'a Polygon needs "coordinates"'],
    [{ __type: 'Relation', className: 'X' }, 'a Relation cannot be sent as a value'],
    [{ __type: 'Object', className: 'X', objectId: 'abc' }, 'a whole object ("__type": "Object") cannot be sent'],
    [{ __type: 'Weird' }, 'unknown __type "Weird"'],
    [{ __op: 'Increment', amount: 1 }, 'only allowed as the value of an object\'s field'],
  ])('refuses %j', (value, rule) => {
    expect(checkValue({ at: value }, '')?.rule).toContain(rule);
    expect(checkValue({ at: value }, '')?.field).toBe('at');
  });

  test('accepts well-formed encodings anywhere', () => {
    expect(
      checkValue({
        list: [pointer('Product'), { __type: 'Date', iso: '2026-01-31' }, { __type: 'Bytes', base64: 'aGk=' }],
        file: { __type: 'File', name: 'a.png', url: 'https://example.com/a.png' },
        polygon: { __type: 'Polygon', coordinates: [[0, 0], [0, 1], [1, 1]] },
        deep: { a: { b: [null, true, 1.5, 'text'] } },
      }, ''),
    ).toBeNull();
  });

  test('refuses absurdly deep nesting instead of recursing without end', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(checkValue(deep, '')?.rule).toBe('nested too deeply');
  });

  test('JSON cannot carry NaN, but 1e309 parses as Infinity', () => {
    expect(checkValue(JSON.parse('{"n": 1e309}'), '')).toEqual({ field: 'n', rule: 'must be a finite number' });
  });
});

describe('checkWhere: constraints against the field types', () => {
  test('accepts the queries the SDKs build', () => {
    expect(
      checkWhere(lookup, 'Product', {
        name: { $regex: '^La', $options: 'i' },
        price: { $gte: 1, $lt: 100 },
        active: true,
        startsAt: { $gt: { $relativeTime: '3 days ago' } },
        maker: { $in: [pointer('Maker')] },
        fans: pointer('_User'),
        tags: { $all: ['a'] },
        'settings.colour': 'red',
        objectId: { $nin: ['a', 'b'] },
        description: { $exists: false },
        $or: [{ price: 1 }, { price: { $ne: null } }],
        $relatedTo: { object: pointer('Maker'), key: 'products' },
      }),
    ).toBeNull();
  });

  test.each([
    [{ price: { $gt: 'x' } }, 'where.price.$gt', 'must be a number'],
    [{ price: 'x' }, 'where.price', 'must be a number'],
    [{ name: 5 }, 'where.name', 'must be text'],
    // equalTo on a list or object field with plain text: HTTP 500 on PostgreSQL (jsonb compared with text)
    [{ tags: 'a' }, 'where.tags', 'a list field matches a Pointer it holds, a whole list, or $all / $in'],
    [{ settings: 'a' }, 'where.settings', 'an object field matches a subfield ("field.key") or $exists'],
    [{ startsAt: { $lt: 5 } }, 'where.startsAt.$lt', 'must be a Date'],
    [{ active: { $gt: true } }, 'where.active.$gt', 'only a number, date or text field can be compared'],
    [{ price: { $in: 'x' } }, 'where.price.$in', 'must be a list'],
    [{ name: { $regex: '[' } }, 'where.name.$regex', 'must be a valid regular expression'],
    [{ name: { $regex: 'a'.repeat(1001) } }, 'where.name.$regex', 'must be at most 1,000 characters'],
    [{ price: { $regex: 'a' } }, 'where.price.$regex', 'only a text field'],
    [{ name: { $exists: 'yes' } }, 'where.name.$exists', 'must be true or false'],
    [{ name: { $hack: 1 } }, 'where.name.$hack', 'is not a query operator'],
    [{ $or: [{}] }, 'where.$or', 'must be a non-empty list of non-empty constraints'],
    [{ $or: [{ price: 'x' }] }, 'where.$or.0.price', 'must be a number'],
    [{ $relatedTo: 5 }, 'where.$relatedTo', 'needs "object"'],
    [{ $hack: 1 }, 'where.$hack', 'is not a query operator'],
    [{ 'name.first': 'x' }, 'where.name.first', 'only an Object field has subfields'],
    [{ colour: 'red' }, 'where.colour', 'is not a field of Product'],
    [{ name: { $inQuery: { className: 'Product', where: { price: 'x' } } } }, 'where.name.$inQuery.where.price', 'must be a number'],
    [{ createdAt: { $gt: { __type: 'Date', iso: 'yesterday-ish' } } }, 'where.createdAt.$gt', 'must be a Date'],
    [{ spot: { $nearSphere: 5 }, name: { $nearSphere: 5 } }, 'where.name.$nearSphere', 'only a GeoPoint or Polygon field'],
    ['x', 'where', 'must be an object of field constraints'],
  ])('refuses %j', (where, field, rule) => {
    const found = checkWhere(lookup, 'Product', where);
    expect(found?.field).toBe(field);
    expect(found?.rule).toContain(rule);
  });

  test('a relation member without its className, as the JS SDK sends for Parse.Role (Live Query role checks), is taken', () => {
    const bare = { __type: 'Pointer', objectId: 'u1' };
    expect(checkWhere(lookup, 'Product', { fans: { $in: [bare] } })).toBeNull();
    expect(checkWhere(lookup, 'Product', { fans: { $in: [pointer('Maker')] } })?.rule).toContain('must be a Pointer to _User');
    expect(checkWhere(lookup, 'Product', { fans: { $in: [{ __type: 'Pointer', objectId: 5 }] } })?.rule).toContain('must be a Pointer to _User');
  });

  test('text of any length may be looked for, even in an indexed field', () => {
    expect(checkWhere(lookup, 'Product', { name: 'n'.repeat(INDEXED_TEXT_MAX * 10) })).toBeNull();
  });

  test('cloud code leaves a field the schema lacks to Parse', () => {
    expect(checkWhere(lookup, 'Product', { colour: 'red', 'extra.deep': 1 }, 'where', 0, 'check')).toBeNull();
    expect(checkWhere(lookup, 'Product', { price: { $gt: 'x' } }, 'where', 0, 'check')?.field).toBe('where.price.$gt');
  });

  test('options: whole numbers and lists of names', () => {
    expect(checkFindOptions({ limit: '10', skip: 0, order: '-price,name', keys: 'name', include: ['maker'] })).toBeNull();
    expect(checkFindOptions({ limit: 'x' })).toEqual({ field: 'limit', rule: 'must be a whole number of at least 0' });
    expect(checkFindOptions({ skip: -1 })).toEqual({ field: 'skip', rule: 'must be a whole number of at least 0' });
    expect(checkFindOptions({ keys: { a: 1 } })?.field).toBe('keys');
  });
});
