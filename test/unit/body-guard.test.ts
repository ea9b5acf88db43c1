import { describe, expect, test } from 'vitest';
import { checkBody } from '../../scripts/server/body-guard';

const ok = (body: unknown, relations = false) => expect(() => checkBody(body, relations)).not.toThrow();
const bad = (body: unknown, message: string, relations = false) => expect(() => checkBody(body, relations)).toThrow(message);

describe('checkBody', () => {
  test('accepts ordinary bodies, the supported operations and well-formed types', () => {
    ok({ name: 'x', n: 1, tags: ['a'], nested: { deep: [1, { x: null }] } });
    ok({ n: { __op: 'Increment', amount: 1 }, tags: { __op: 'AddUnique', objects: ['a'] }, gone: { __op: 'Delete' } });
    ok({ at: { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' } });
    ok({ p: { __type: 'Pointer', className: 'Product', objectId: 'abc123' } });
    ok({ g: { __type: 'GeoPoint', latitude: 1, longitude: 2 } });
  });

  test.each([
    [{ n: { __op: 'Hack' } }, 'n: operation "Hack" is not supported here'],
    [{ n: { __op: 'Batch', ops: [] } }, 'n: operation "Batch" is not supported here'],
    [{ n: { __op: 'AddRelation', objects: [] } }, 'n: operation "AddRelation" is not supported here'],
    [{ at: { __type: 'Date', iso: 'tomorrow' } }, 'at: a Date needs "iso"'],
    [{ at: { __type: 'Date', iso: 5 } }, 'at: a Date needs "iso"'],
    [{ p: { __type: 'Pointer' } }, 'p: a Pointer needs "className" and "objectId"'],
    [{ p: { __type: 'Pointer', className: 'X', objectId: 'a b' } }, 'p: a Pointer needs'],
    [{ list: ['ok', 'b\u0000d'] }, 'list.1: must not contain a NUL character'],
    [{ 'k\u0000': 1 }, 'a field name must not contain a NUL character'],
    [{ x: { __type: 'Nope' } }, 'x: unknown __type "Nope"'],
  ])('refuses %j', (body, message) => bad(body, message));

  test('relation operations are allowed only where relations are used (roles), and must list pointers', () => {
    const users = { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: 'u1' }] };
    ok({ users }, true);
    bad({ users: { __op: 'AddRelation', objects: 'u1' } }, 'users: AddRelation needs "objects"', true);
  });

  test('refuses absurdly deep nesting instead of recursing without end', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    bad(deep, 'nested too deeply');
  });
});
