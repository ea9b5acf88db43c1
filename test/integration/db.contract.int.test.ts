/**
 * Contract tests of the private Parse Server calls behind cloud/edge/db.ts, run in-process against
 * a real Parse Server and PostgreSQL: when an upgrade changes one of them, the test of that call
 * names it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canWriteAllOrNothing, deleteWhere, ensureUniqueIndex, findRows, findRowsAtOnce, insertOne, liveQuery, loadedSchema, newRow, updateOne, writeAllOrNothing } from '../../cloud/edge/db';
import { type InProcessParse, startInProcessParse } from '../helpers/in-process-parse';

let parse: InProcessParse;
let databaseURI: string;

beforeAll(async () => {
  parse = await startInProcessParse('db-contract');
  databaseURI = parse.databaseURI;
});

afterAll(() => parse?.stop());

const key = (name: string) => `contract-${name}-${Math.random().toString(36).slice(2)}`;
const lock = (name: string) => ({ key: key(name), token: 't', expiresAt: { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' }, ACL: {} });

describe('Parse.Server (the host Config) and its DatabaseController', () => {
  test('adapter.ensureUniqueness: a unique index makes a second insert fail with 137', async () => {
    expect(await ensureUniqueIndex('Lock', ['key'])).toBe(true);
    expect(await ensureUniqueIndex('NoSuchClass', ['key'])).toBe(false);
    const row = await insertOne('Lock', lock('unique'));
    await expect(insertOne('Lock', { ...lock('unique'), key: row.key })).rejects.toMatchObject({ code: 137 });
  });

  test('create: insertOne stores the row with a 10-character objectId and timestamps', async () => {
    const row = await insertOne('Lock', lock('create'));
    expect(row.objectId).toMatch(/^[A-Za-z0-9]{10}$/);
    const [found] = await findRows('Lock', { objectId: row.objectId });
    expect(found).toMatchObject({ key: row.key, token: 't' });
    expect(typeof found.createdAt).toBe('string');
  });

  test('find: keys, sort, limit and skip, in REST format', async () => {
    const prefix = key('find');
    for (const n of [3, 1, 2]) await insertOne('Lock', { ...lock('find'), key: `${prefix}-${n}` });
    const rows = await findRows('Lock', { key: { $regex: `^${prefix}` } }, { sort: { key: 1 }, limit: 2, skip: 1, keys: ['key'] });
    expect(rows.map((r) => r.key)).toEqual([`${prefix}-2`, `${prefix}-3`]);
    expect(rows[0].token).toBeUndefined();
    expect(rows[0].expiresAt).toBeUndefined();
    const [dated] = await findRows('Lock', { key: `${prefix}-1` });
    expect(dated.expiresAt).toEqual({ __type: 'Date', iso: '2099-01-01T00:00:00.000Z' });
  });

  test('update (7 positional arguments): one conditional write returns the row after it, or null when nothing matched', async () => {
    const row = await insertOne('ProcessLease', { expiresAt: { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' }, pid: 5, ACL: {} });
    const raised = await updateOne('ProcessLease', { objectId: row.objectId, pid: { $gte: 5 } }, { pid: { __op: 'Increment', amount: 2 } });
    expect(raised?.pid).toBe(7);
    expect(await updateOne('ProcessLease', { objectId: row.objectId, pid: { $gte: 8 } }, { pid: { __op: 'Increment', amount: 1 } })).toBeNull();
    expect(await updateOne('ProcessLease', { objectId: 'missing000' }, { pid: 1 })).toBeNull();
    const [stored] = await findRows('ProcessLease', { objectId: row.objectId });
    expect(stored.pid).toBe(7);
  });

  test('update: Add and Remove on an array, and a condition with $all on it', async () => {
    const row = await insertOne('SaleBuyer', {
      sale: { __type: 'Pointer', className: 'FlashSale', objectId: 'sale000001' },
      user: { __type: 'Pointer', className: '_User', objectId: key('u').slice(0, 20) },
      units: 0,
      holds: [],
      ACL: {},
    });
    const where = { sale: row.sale, user: row.user };
    expect((await updateOne('SaleBuyer', where, { units: { __op: 'Increment', amount: 1 }, holds: { __op: 'Add', objects: ['c1:1'] } }))?.holds).toEqual(['c1:1']);
    expect(await updateOne('SaleBuyer', { ...where, holds: { $all: ['c2:1'] } }, { units: { __op: 'Increment', amount: -1 } })).toBeNull();
    const released = await updateOne('SaleBuyer', { ...where, holds: { $all: ['c1:1'] } }, { units: { __op: 'Increment', amount: -1 }, holds: { __op: 'Remove', objects: ['c1:1'] } });
    expect(released).toMatchObject({ units: 0, holds: [] });
  });

  test('destroy: deleteWhere deletes what matches and says whether anything did', async () => {
    const row = await insertOne('Lock', lock('delete'));
    expect(await deleteWhere('Lock', { key: row.key, token: 'other' })).toBe(false);
    expect(await deleteWhere('Lock', { key: row.key })).toBe(true);
    expect(await findRows('Lock', { objectId: row.objectId })).toEqual([]);
  });

  test('loadSchema: the schema controller gives class-level permissions and fields', async () => {
    const schema = await loadedSchema();
    expect(schema.getClassLevelPermissions('Inventory')).toMatchObject({ find: { '*': true } });
    expect((await schema.getOneSchema('Inventory', false)).fields.product).toMatchObject({ type: 'Pointer', targetClass: 'Product' });
  });

  test('liveQueryController: hasLiveQuery and onAfterSave for the classes Live Query serves', async () => {
    const live = await liveQuery('Inventory');
    expect(typeof live?.controller.onAfterSave).toBe('function');
    expect(live?.perms).toMatchObject({ get: { '*': true } });
    expect(await liveQuery('Lock')).toBeNull();
  });

  test('liveQueryController.onAfterSave reads only _toFullJSON of the objects it is given', async () => {
    const live = await liveQuery('Inventory');
    const publisher = (live!.controller as unknown as { liveQueryPublisher: { parsePublisher: { publish(channel: string, message: string): void } } }).liveQueryPublisher.parsePublisher;
    const sent: string[] = [];
    const publish = publisher.publish;
    publisher.publish = (_channel, message) => void sent.push(message);
    try {
      const row = (stock: number) => ({ className: 'Inventory', _toFullJSON: () => ({ objectId: 'i1', stock, className: 'Inventory', __type: 'Object' }) });
      live!.controller.onAfterSave('Inventory', row(4), row(5), live!.perms);
    } finally {
      publisher.publish = publish;
    }
    expect(JSON.parse(sent[0])).toMatchObject({
      currentParseObject: { objectId: 'i1', stock: 4, className: 'Inventory', __type: 'Object' },
      originalParseObject: { stock: 5 },
      classLevelPermissions: { get: { '*': true } },
    });
  });
});

describe('the PostgreSQL adapter\'s client (pg-promise), for one-statement batches', () => {
  const locks = (name: string, n: number) => Array.from({ length: n }, (_, i) => newRow(lock(`${name}-${i}`)));

  test('writeAllOrNothing lands every write and returns what each returned', async () => {
    expect(canWriteAllOrNothing()).toBe(true);
    const [a, b] = locks('batch', 2);
    const existing = await insertOne('Lock', lock('batch-existing'));
    const rows = await writeAllOrNothing([
      { kind: 'insert', className: 'Lock', row: a },
      { kind: 'insert', className: 'Lock', row: b },
      { kind: 'update', className: 'Lock', where: { objectId: existing.objectId, token: 't' }, update: { token: 'u' }, returning: ['token', 'updatedAt'] },
    ]);
    expect(rows).toMatchObject([{ objectId: a.objectId }, { objectId: b.objectId }, { objectId: existing.objectId, token: 'u' }]);
    expect(rows![2].updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [found] = await findRows('Lock', { objectId: a.objectId });
    expect(found).toMatchObject({ key: a.key, token: 't', expiresAt: { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' } });
    expect((await findRows('Lock', { objectId: existing.objectId }))[0].token).toBe('u');
  });

  test('a write whose condition fails, or a taken unique key, leaves nothing of the batch', async () => {
    const [a, b] = locks('none', 2);
    const failing = await writeAllOrNothing([
      { kind: 'insert', className: 'Lock', row: a },
      { kind: 'update', className: 'Lock', where: { objectId: 'missing000' }, update: { token: 'x' } },
    ]);
    expect(failing).toBeNull();
    expect(await findRows('Lock', { objectId: a.objectId })).toEqual([]);
    const existing = await insertOne('Lock', lock('taken'));
    const taken = await writeAllOrNothing([
      { kind: 'insert', className: 'Lock', row: b },
      { kind: 'insert', className: 'Lock', row: { ...newRow(lock('other')), key: existing.key } },
    ]);
    expect(taken).toBeNull();
    expect(await findRows('Lock', { objectId: b.objectId })).toEqual([]);
  });

  test('a check lands the batch only while its row matches', async () => {
    const existing = await insertOne('Lock', lock('check'));
    const [a, b] = locks('check', 2);
    const check = (token: string) => ({ kind: 'check' as const, className: 'Lock', where: { objectId: existing.objectId, token } });
    expect(await writeAllOrNothing([{ kind: 'insert', className: 'Lock', row: a }, check('t')])).toMatchObject([{ objectId: a.objectId }, { objectId: existing.objectId }]);
    expect(await writeAllOrNothing([{ kind: 'insert', className: 'Lock', row: b }, check('other')])).toBeNull();
    expect(await findRows('Lock', { objectId: b.objectId })).toEqual([]);
  });

  test('a locking check waits for a write in flight on its row and looks at the row that write leaves; a plain one looks at the row as it was', async () => {
    const existing = await insertOne('Lock', lock('locking-check'));
    const [a, b] = locks('locking-check', 2);
    const check = (lockIt: boolean) => ({ kind: 'check' as const, className: 'Lock', where: { objectId: existing.objectId, token: 'taken' }, lock: lockIt });
    const other = new pg.Client({ connectionString: databaseURI });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE "Lock" SET token = 'taken' WHERE "objectId" = $1`, [existing.objectId]);
      expect(await writeAllOrNothing([{ kind: 'insert', className: 'Lock', row: b }, check(false)])).toBeNull(); // the committed row: token 't'
      const locking = writeAllOrNothing([{ kind: 'insert', className: 'Lock', row: a }, check(true)]);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the batch now waits for the row
      await other.query('COMMIT');
      expect(await locking).toMatchObject([{ objectId: a.objectId }, { objectId: existing.objectId }]);
    } finally {
      await other.end();
    }
  });

  test('an upsert inserts, then raises the existing row only while its condition holds', async () => {
    const row = newRow(lock('upsert'));
    const upsert = (token: string, objectId = newRow({}).objectId) =>
      writeAllOrNothing([{ kind: 'upsert', className: 'Lock', row: { ...row, objectId, token }, conflict: ['key'], update: { token }, where: { token: 't' }, returning: ['token'] }]);
    expect(await upsert('t', row.objectId)).toMatchObject([{ objectId: row.objectId, token: 't' }]);
    expect(await upsert('u')).toMatchObject([{ objectId: row.objectId, token: 'u' }]);
    expect(await upsert('v')).toBeNull(); // the row's token is no longer 't'
    expect((await findRows('Lock', { key: row.key }))[0].token).toBe('u');
  });

  test('findRowsAtOnce answers each find as findRows does', async () => {
    const a = await insertOne('Lock', lock('read-a'));
    const b = await insertOne('Lock', lock('read-b'));
    const finds = [
      { className: 'Lock', where: { key: { $in: [a.key, b.key] } }, limit: 10, sort: { key: 1 as const } },
      { className: 'Lock', where: { objectId: b.objectId }, limit: 1, keys: ['token'] },
      { className: 'Lock', where: { key: 'nothing-has-this' }, limit: 5 },
    ];
    const atOnce = await findRowsAtOnce(finds);
    const oneByOne = await Promise.all(finds.map(({ className, where, ...options }) => findRows(className, where, options)));
    const withoutACL = (rows: any[]) => rows.map(({ ACL: _acl, ...rest }) => rest);
    expect(withoutACL(atOnce[0])).toEqual(withoutACL(oneByOne[0]));
    expect(atOnce[0]).toHaveLength(2);
    // With keys, findRows leaves out objectId unless they name it; a batch's rows always carry it
    // (on MongoDB findRowsAtOnce asks findRows for it).
    expect(atOnce[1]).toEqual([{ ...oneByOne[1][0], objectId: b.objectId }]);
    expect(await findRows('Lock', { objectId: b.objectId }, { keys: ['objectId', 'token'] })).toEqual(atOnce[1]);
    expect(atOnce[2]).toEqual([]);
  });
});
