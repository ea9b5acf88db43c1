/**
 * A fuzz of malformed requests generated from schema/*.json (every class and typed field) and the
 * cloud functions' parameter schemas, sent as anonymous, customer and admin over REST class writes,
 * finds, /users, /batch, function parameters and GraphQL variables and literals. No answer may be
 * HTTP 5xx or carry a stack trace, no bad input may succeed, the server must keep running without
 * printing a stack trace, and no stock, quota or code counter may move. Run as the tests run the
 * server (NODE_ENV=test) and as `npm start` does (development), where GraphQL adds stack traces.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { type Case, deep, ENCODED, generateCases, OPS, type Role, type Seeded } from '../helpers/fuzz-cases';
import { startPlainServer } from '../helpers/plain-server';
import { ADMIN, APP_ID, productRef, ROOT, type Session, startTestServer, type TestServer } from '../helpers/server';

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
