/**
 * Who may do what, as one table: every class in schema/ (find, get, create, update, delete over
 * REST), every cloud function and every job, for each kind of caller. The expected table
 * (test/helpers/permission-table.ts) is SPEC sections 4 and 7 written out; a class, function or job
 * without a row fails the test.
 *
 * An outcome is `ok`, or the Parse error code (or `HTTP <status>` when the answer has no code). A
 * find is `sees` when the target row is in its results and `hidden` when it answers without it.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ACTORS, type Actor, EXPECTED, expectedRow, type Row } from '../helpers/permission-table';
import { productRef, ROOT, type Session, startTestServer, type TestServer } from '../helpers/server';

const classNames = readdirSync(path.join(ROOT, 'schema'))
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(path.join(ROOT, 'schema', file), 'utf8')).className as string)
  .sort();

function namesIn(folder: string, pattern: RegExp): string[] {
  const dir = path.join(ROOT, folder);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(path.join(dir, file), 'utf8').matchAll(pattern)].map((match) => match[1]));
}
const functionNames = namesIn('cloud/functions', /defineFunction\('(\w+)'/g);
const jobNames = namesIn('cloud/jobs', /Parse\.Cloud\.job\('(\w+)'/g);

let server: TestServer;
let customer: Session;
let other: Session;
let admin: Session;
let productId: string;
let saleProductId: string;
let unique = 0;
const next = () => `${Date.now().toString(36)}${++unique}`;

const pointer = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
const date = (iso: string) => ({ __type: 'Date', iso });
const farDay = (days: number) => new Date(Date.UTC(2100, 0, 1) + days * 86_400_000).toISOString();

/** The answer as a matrix cell. */
function outcome(status: number, body: any): string {
  if (status >= 200 && status < 300) return 'ok';
  return typeof body?.code === 'number' ? String(body.code) : `HTTP ${status}`;
}

async function call(actor: Actor, method: string, route: string, body?: unknown, owner?: Session) {
  const session = actor === 'customer' ? (owner ?? customer) : actor === 'other' ? other : actor === 'admin' ? admin : undefined;
  return server.request(method, route, body, { session, master: actor === 'master' });
}

async function masterOk(method: string, route: string, body?: unknown) {
  return server.ok(method, route, body, { master: true });
}

/** A paid order of `buyer` (auto payment mode), with its checkout. */
async function orderOf(buyer: Session): Promise<{ orderId: string; checkoutId: string }> {
  const result = await server.run('checkout', { idempotencyKey: `matrix-${next()}`, items: [{ productId, quantity: 1 }] }, { session: buyer });
  return { orderId: result.orders[0].id, checkoutId: result.checkoutId };
}

async function firstId(className: string, where: Record<string, unknown>): Promise<string> {
  const rows = await server.find(className, where);
  if (rows.length === 0) throw new Error(`no ${className} row matches ${JSON.stringify(where)}`);
  return rows[0].objectId;
}

interface ClassCase {
  /** A row to read, update or delete; `owner` is the customer it belongs to (the customer column acts as it). */
  target(): Promise<{ id: string; owner?: Session }>;
  create(): unknown;
  update: Record<string, unknown>;
}

async function sessionIdOf(user: Session): Promise<string> {
  return (await server.ok('GET', '/sessions/me', undefined, { session: user })).objectId;
}

const CASES: Record<string, ClassCase> = {
  _Installation: {
    target: async () => ({ id: (await masterOk('POST', '/classes/_Installation', { deviceType: 'ios', installationId: `i-${next()}` })).objectId }),
    create: () => ({ deviceType: 'android', installationId: `i-${next()}` }),
    update: { badge: 1 },
  },
  _Role: {
    target: async () => ({ id: (await masterOk('POST', '/classes/_Role', { name: `matrix-${next()}`, ACL: {} })).objectId }),
    create: () => ({ name: `matrix-${next()}`, ACL: {} }),
    update: { ACL: { 'role:admin': { read: true } } },
  },
  _Session: {
    target: async () => {
      const owner = await server.signUp('matrix-session');
      return { id: await sessionIdOf(owner), owner };
    },
    create: () => ({}),
    update: {}, // every field of a session is read-only, even for the master key (105)
  },
  _User: {
    target: async () => {
      const owner = await server.signUp('matrix-user');
      return { id: owner.userId, owner };
    },
    create: () => ({ username: `matrix-new-${next()}`, password: 'matrix-password-1' }),
    update: { email: `changed-${next()}@example.com` },
  },
  Cart: {
    target: async () => {
      const owner = await server.signUp('matrix-cart');
      await server.run('addToCart', { productId, quantity: 1 }, { session: owner });
      return { id: await firstId('Cart', { user: pointer('_User', owner.userId) }), owner };
    },
    create: () => ({ user: pointer('_User', `nobody${next()}`), items: [] }),
    update: { code: 'MATRIX5' },
  },
  CheckoutRecord: {
    target: async () => {
      const owner = await server.signUp('matrix-record');
      const { checkoutId } = await orderOf(owner);
      return { id: checkoutId, owner };
    },
    create: () => ({ user: pointer('_User', customer.userId), idempotencyKey: `matrix-${next()}`, state: 'done' }),
    update: { state: 'done' },
  },
  CodeRedemption: {
    target: async () => ({ id: (await masterOk('POST', '/classes/CodeRedemption', { code: `MXR${next()}`, user: pointer('_User', customer.userId), uses: 0 })).objectId }),
    create: () => ({ code: `MXR${next()}`, user: pointer('_User', customer.userId), uses: 0 }),
    update: { uses: 1 },
  },
  Coupon: {
    target: async () => ({ id: (await masterOk('POST', '/classes/Coupon', { code: `MXC${next()}`, discount: 1 })).objectId }),
    create: () => ({ code: `MXC${next()}`, discount: 1 }),
    update: { minSubtotal: 5 },
  },
  DiscountCode: {
    target: async () => ({ id: (await masterOk('POST', '/classes/DiscountCode', { code: `MXD${next()}`, percentage: 10, validUntil: date(farDay(0)) })).objectId }),
    create: () => ({ code: `MXD${next()}`, percentage: 10, validUntil: date(farDay(0)) }),
    update: { usageLimit: 100 },
  },
  FlashSale: {
    target: async () => {
      const day = ++unique * 2;
      const body = { product: productRef(saleProductId), discountPrice: 1, startTime: date(farDay(day)), endTime: date(farDay(day + 1)) };
      return { id: (await server.ok('POST', '/classes/FlashSale', body, { session: admin })).objectId };
    },
    create: () => {
      const day = ++unique * 2;
      return { product: productRef(saleProductId), discountPrice: 1, startTime: date(farDay(day)), endTime: date(farDay(day + 1)) };
    },
    update: { perUserLimit: 3 },
  },
  Inventory: {
    target: async () => {
      const created = (await server.ok('POST', '/classes/Product', { name: `Matrix stock ${next()}`, price: 5 }, { session: admin })).objectId;
      return { id: await firstId('Inventory', { product: productRef(created) }) };
    },
    create: () => ({ product: productRef(productId), stock: 0 }),
    update: {}, // stock changes only through restock and checkout (inventory.int.test.ts)
  },
  Lock: {
    target: async () => ({ id: (await masterOk('POST', '/classes/Lock', { key: `matrix-${next()}`, token: 't', expiresAt: date(farDay(0)) })).objectId }),
    create: () => ({ key: `matrix-${next()}`, token: 't', expiresAt: date(farDay(0)) }),
    update: { token: 'u' },
  },
  Order: {
    target: async () => {
      const owner = await server.signUp('matrix-order');
      return { id: (await orderOf(owner)).orderId, owner };
    },
    create: () => ({ product: productRef(productId), quantity: 1 }),
    update: { quantity: 2 },
  },
  ProcessLease: {
    target: async () => ({ id: (await masterOk('POST', '/classes/ProcessLease', { expiresAt: date(farDay(0)), pid: 1, host: 'matrix' })).objectId }),
    create: () => ({ expiresAt: date(farDay(0)), pid: 2, host: 'matrix' }),
    update: { host: 'matrix-moved' },
  },
  Product: {
    target: async () => ({ id: (await server.ok('POST', '/classes/Product', { name: `Matrix ${next()}`, price: 5 }, { session: admin })).objectId }),
    create: () => ({ name: `Matrix ${next()}`, price: 5 }),
    update: { description: 'changed' },
  },
  SaleBuyer: {
    target: async () => ({ id: (await masterOk('POST', '/classes/SaleBuyer', { sale: pointer('FlashSale', `sale${next()}`), user: pointer('_User', customer.userId), units: 0 })).objectId }),
    create: () => ({ sale: pointer('FlashSale', `sale${next()}`), user: pointer('_User', customer.userId), units: 0 }),
    update: { units: 1 },
  },
  Transaction: {
    target: async () => {
      const owner = await server.signUp('matrix-money');
      const { orderId } = await orderOf(owner);
      return { id: await firstId('Transaction', { order: pointer('Order', orderId) }), owner };
    },
    create: () => ({ user: pointer('_User', customer.userId), order: pointer('Order', `order${next()}`), amount: 1, type: 'charge' }),
    update: { amount: 2 },
  },
};

/** Runs one operation for every actor; a target another actor deleted is replaced for the next. */
async function classRow(className: string, operation: string): Promise<Row> {
  const spec = CASES[className];
  if (!spec) throw new Error(`no test case for class ${className}: add one to CASES and its rows to EXPECTED`);
  const route = `/classes/${className}`;
  const row = {} as Row;
  let target = operation === 'create' ? undefined : await spec.target();
  for (const actor of ACTORS) {
    if (operation === 'find') {
      const answer = await call(actor, 'GET', `${route}?limit=1000`, undefined, target!.owner);
      const results: any[] = answer.status === 200 ? answer.body.results : [];
      row[actor] = answer.status === 200 ? (results.some((r) => r.objectId === target!.id) ? 'sees' : 'hidden') : outcome(answer.status, answer.body);
    } else if (operation === 'get') {
      const answer = await call(actor, 'GET', `${route}/${target!.id}`, undefined, target!.owner);
      row[actor] = outcome(answer.status, answer.body);
    } else if (operation === 'create') {
      const answer = await call(actor, 'POST', route, spec.create());
      row[actor] = outcome(answer.status, answer.body);
    } else {
      const answer = await call(actor, operation === 'update' ? 'PUT' : 'DELETE', `${route}/${target!.id}`, operation === 'update' ? spec.update : undefined, target!.owner);
      row[actor] = outcome(answer.status, answer.body);
      if (operation === 'delete' && row[actor] === 'ok') target = await spec.target();
    }
  }
  return row;
}

/** Parameters for each function, made fresh for each call where a call uses them up. */
const FUNCTION_PARAMS: Record<string, () => Promise<Record<string, unknown>>> = {
  serverTime: async () => ({}),
  catalog: async () => ({}),
  flashSales: async () => ({}),
  getCart: async () => ({}),
  addToCart: async () => ({ productId, quantity: 1 }),
  setCartItem: async () => ({ productId, quantity: 2 }),
  applyCode: async () => ({ code: 'MATRIX5' }),
  removeCode: async () => ({}),
  checkout: async () => ({ idempotencyKey: `matrix-${next()}`, items: [{ productId, quantity: 1 }] }),
  cancelOrder: async () => ({ orderId: (await orderOf(customer)).orderId }),
  updateOrderStatus: async () => ({ orderId: (await orderOf(customer)).orderId, status: 'shipped' }),
  restock: async () => ({ productId, quantity: 1 }),
  myOffers: async () => ({}),
};

async function functionRow(name: string): Promise<Row> {
  const params = FUNCTION_PARAMS[name];
  if (!params) throw new Error(`no parameters for function ${name}: add them to FUNCTION_PARAMS and its row to EXPECTED`);
  const row = {} as Row;
  for (const actor of ACTORS) {
    const answer = await call(actor, 'POST', `/functions/${name}`, await params());
    row[actor] = outcome(answer.status, answer.body);
  }
  return row;
}

async function jobRow(name: string): Promise<Row> {
  const row = {} as Row;
  for (const actor of ACTORS) {
    const answer = await call(actor, 'POST', `/jobs/${name}`, {});
    row[actor] = outcome(answer.status, answer.body);
  }
  return row;
}

function printable(rows: Array<[string, Row]>): string {
  const width = Math.max(...rows.map(([key]) => key.length)) + 2;
  const header = `${''.padEnd(width)}${ACTORS.map((actor) => actor.padEnd(10)).join('')}`;
  return [header, ...rows.map(([key, row]) => `${key.padEnd(width)}${ACTORS.map((actor) => row[actor].padEnd(10)).join('')}`)].join('\n');
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
  [customer, other] = await server.users(2, 'matrix');
  productId = await server.product({ name: 'Matrix product', price: 10, stock: 1000 });
  saleProductId = await server.product({ name: 'Matrix sale product', price: 10 });
  await masterOk('POST', '/classes/Coupon', { code: 'MATRIX5', discount: 1 });
}, 180_000);
afterAll(() => server?.stop());

test('every caller can do exactly what SPEC sections 4 and 7 allow, class by class and function by function', async () => {
  const rows: Array<[string, Row]> = [];
  for (const className of classNames) {
    for (const operation of ['find', 'get', 'create', 'update', 'delete']) rows.push([`${className}.${operation}`, await classRow(className, operation)]);
  }
  for (const name of functionNames) rows.push([`function ${name}`, await functionRow(name)]);
  for (const name of jobNames) rows.push([`job ${name}`, await jobRow(name)]);
  console.log(`Permission matrix (ok, sees/hidden for finds, or the Parse error code):\n${printable(rows)}`);

  const missing = rows.filter(([key]) => !expectedRow(key)).map(([key]) => key);
  expect(missing, 'rows without an expectation in EXPECTED').toEqual([]);
  const stale = Object.keys(EXPECTED).filter((key) => !rows.some(([row]) => row === key));
  expect(stale, 'expectations for classes, functions or jobs that no longer exist').toEqual([]);
  const differences = rows
    .filter(([key, row]) => JSON.stringify(row) !== JSON.stringify(expectedRow(key)))
    .map(([key, row]) => `${key}: got ${ACTORS.map((a) => row[a]).join(' | ')}, expected ${ACTORS.map((a) => expectedRow(key)![a]).join(' | ')}`);
  expect(differences).toEqual([]);
}, 300_000);
