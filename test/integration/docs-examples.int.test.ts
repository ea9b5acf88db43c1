/**
 * Every fenced example in README.md and docs/*.md that talks to the server runs here against a real
 * server, so the docs cannot drift from what the server answers.
 *
 * Which blocks run (by the fence's info string):
 * - `sh`/`bash`/`shell` blocks that contain `curl`: run by bash with `set -eo pipefail`, `curl` being
 *   `curl --fail-with-body -sS`, so any HTTP error answer fails the block.
 * - `graphql` blocks: POSTed to /graphql; the answer must have data and no errors.
 * - `js`/`javascript` blocks that use `Parse.`: run in this process with the `parse/node` SDK; every
 *   cloud function they call must succeed (even one the block catches), and a block that subscribes
 *   must then receive an event when the product below is restocked.
 * - Blocks marked `no-run` in the info string (```dart no-run) are not run: only code this repository
 *   cannot execute (Dart, Swift, Kotlin), or a shell block for another host (a Back4app app, say).
 *   Those in CLIENTS.md are checked for covering the five steps of a quick start. A Dart, Swift,
 *   Kotlin or Java block without the mark fails the test.
 * - `http` blocks are docs/DEPLOY.md's requests to a Back4app app, which bundle-host.int.test.ts
 *   sends to its plain host as written; an `http` block anywhere else fails the test, as nothing runs it.
 * - Everything else (json shapes, printed output, `npm` commands) is not an example of a request.
 *
 * Substitutions, the only differences from what a reader copies against `npm start`:
 * - `localhost:1337` becomes the test server's `127.0.0.1:<port>` (http and ws);
 * - the application id `shop` (in `X-Parse-Application-Id: shop` and `Parse.initialize('shop'`)
 *   becomes the test server's.
 * Fixtures, as on a demo database: the admin `admin` / `shop-owner-password`, one product with
 * stock (first in `catalog`), the coupon `WELCOME5`, and the customer `ana` / `a-long-password`
 * (README's sign-up creates her), whose cart holds the product before each GraphQL block.
 * - GraphQL variables are filled by name: `$productId`, `$quantity` (1), `$items` (one of the
 *   product), `$idempotencyKey` (new per block), `$orderId` (a new paid order of ana's); other
 *   optional variables are left out. Blocks calling `restock` or `updateOrderStatus` run as the
 *   admin, the others as ana.
 * - JavaScript blocks get `import Parse from 'parse/node'` provided, and two free names for
 *   fragments: `product` (a Product pointer to the product) and `showStock(stock)`; `console.log`
 *   output is collected.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Parse from 'parse/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN, APP_ID, ROOT, type Session, startTestServer, type TestServer } from '../helpers/server';

interface Block {
  file: string;
  line: number;
  lang: string;
  flags: string[];
  code: string;
}

const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const NOT_RUNNABLE_HERE = ['dart', 'swift', 'kotlin', 'java', 'objc', 'objective-c'];

function blocksOf(file: string): Block[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const blocks: Block[] = [];
  for (const match of text.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    const [lang = '', ...flags] = match[1].trim().split(/\s+/);
    blocks.push({ file, line: text.slice(0, match.index).split('\n').length, lang: lang.toLowerCase(), flags, code: match[2] });
  }
  return blocks;
}

type Kind = 'curl' | 'graphql' | 'js' | 'marked' | 'unmarked' | 'none';
function kindOf(block: Block): Kind {
  if (block.flags.includes('no-run')) return 'marked';
  if (['sh', 'bash', 'shell'].includes(block.lang) && /\bcurl\b/.test(block.code)) return 'curl';
  if (block.lang === 'graphql') return 'graphql';
  if (['js', 'javascript', 'mjs'].includes(block.lang) && /\bParse\./.test(block.code)) return 'js';
  if (block.lang === 'http') return block.file === 'docs/DEPLOY.md' ? 'none' : 'unmarked';
  if (NOT_RUNNABLE_HERE.includes(block.lang)) return 'unmarked';
  return 'none';
}

const blocks = DOCS.flatMap(blocksOf);
const named = (kind: Kind) => blocks.filter((block) => kindOf(block) === kind).map((block) => [`${block.file}:${block.line}`, block] as const);

let server: TestServer;
let admin: Session;
let ana: Session;
let productId: string;

function forTestServer(code: string): string {
  return code
    .replaceAll('localhost:1337', `127.0.0.1:${server.port}`)
    .replace(/(X-Parse-Application-Id: )shop\b/g, `$1${APP_ID}`)
    .replace(/Parse\.initialize\('shop'/g, `Parse.initialize('${APP_ID}'`);
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
  productId = await server.product({ name: 'Demo Phone', price: 20, stock: 500 });
  await server.ok('POST', '/classes/Coupon', { code: 'WELCOME5', discount: 5, perUserLimit: 100 }, { session: admin });
});

/** The customer `ana`: README's sign-up example creates her (the curl blocks run first); else she is signed up here. */
async function customer(): Promise<Session> {
  if (!ana) {
    const credentials = { username: 'ana', password: 'a-long-password' };
    const { status, body } = await server.request('POST', '/login', credentials);
    const session = status === 200 ? body : await server.ok('POST', '/users', credentials);
    ana = { userId: session.objectId, username: 'ana', sessionToken: session.sessionToken };
  }
  return ana;
}
afterAll(() => server?.stop());

function runBash(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `set -eo pipefail\ncurl() { command curl --fail-with-body -sS "$@"; }\n${script}`], { timeout: 30_000 });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return check();
}

async function graphqlVariables(code: string): Promise<Record<string, unknown>> {
  const variables: Record<string, unknown> = {};
  for (const [, name, type] of code.matchAll(/\$(\w+)\s*:\s*([\w[\]!]+)/g)) {
    if (name === 'productId') variables.productId = productId;
    else if (name === 'quantity') variables.quantity = 1;
    else if (name === 'items') variables.items = [{ productId, quantity: 1 }];
    else if (name === 'idempotencyKey') variables.idempotencyKey = `docs-${randomUUID()}`;
    else if (name === 'orderId') {
      const bought = await server.run('checkout', { idempotencyKey: `docs-${randomUUID()}`, items: [{ productId, quantity: 1 }] }, { session: await customer() });
      variables.orderId = bought.orders[0].id;
    } else if (type.endsWith('!')) throw new Error(`no value for the required variable $${name}; add one to the rules at the top of this file`);
  }
  return variables;
}

describe('docs examples', () => {
  test('every block that talks to the server is run here or marked no-run', () => {
    expect(named('unmarked').map(([where]) => where)).toEqual([]);
    expect(named('curl').length + named('graphql').length + named('js').length).toBeGreaterThan(15);
  });

  test.each(named('curl'))('%s (curl) answers without an error', async (_where, block) => {
    const { code, output } = await runBash(forTestServer(block.code));
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).not.toMatch(/"code":\s*\d+,\s*"error"/);
  });

  test.each(named('graphql'))('%s (graphql) answers data without errors', async (_where, block) => {
    await server.run('addToCart', { productId, quantity: 1 }, { session: await customer() });
    const asAdmin = /\b(restock|updateOrderStatus)\s*\(/.test(block.code);
    const { status, body } = await server.graphql(block.code, await graphqlVariables(block.code), { session: asAdmin ? admin : await customer() });
    expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
    expect(Object.values(body.data ?? {}).every((value) => value !== null)).toBe(true);
  });

  test.each(named('js'))('%s (JavaScript SDK) runs', async (_where, block) => {
    const code = forTestServer(block.code).replace(/^import Parse from 'parse\/node';[ \t]*$/m, '');
    expect(code, 'only the Parse SDK import is provided').not.toMatch(/^\s*import\s/m);
    const logs: string[] = [];
    const log = (...parts: unknown[]) => logs.push(parts.map(String).join(' '));
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
    await customer(); // the quick starts log in as ana
    Parse.initialize(APP_ID);
    Parse.serverURL = server.apiURL;
    Parse.liveQueryServerURL = `ws://127.0.0.1:${server.port}/parse`;
    // A block may catch a refusal to show it (as an app would); any refused call still fails the block.
    const refused: string[] = [];
    const cloudRun = Parse.Cloud.run;
    Parse.Cloud.run = (async (name: string, ...rest: unknown[]) => {
      try {
        return await (cloudRun as (...args: unknown[]) => Promise<unknown>)(name, ...rest);
      } catch (error) {
        refused.push(`${name}: ${(error as Error).message}`);
        throw error;
      }
    }) as typeof Parse.Cloud.run;
    try {
      const run = new AsyncFunction('Parse', 'console', 'product', 'showStock', code);
      await run(Parse, { log }, Parse.Object.extend('Product').createWithoutData(productId), (stock: number) => log('stock', stock));
      if (/\.subscribe\(/.test(code)) {
        await new Promise((resolve) => setTimeout(resolve, 300)); // let the subscription settle before the change
        const before = logs.length;
        await server.run('restock', { productId, quantity: 1 }, { session: admin });
        expect(await waitFor(() => logs.length > before, 5_000), `no Live Query event reached the block; it logged:\n${logs.join('\n')}`).toBe(true);
      }
      expect(refused).toEqual([]);
      expect(logs.join('\n')).not.toMatch(/undefined|NaN/);
    } finally {
      Parse.Cloud.run = cloudRun;
      await Parse.LiveQuery.close();
      if (Parse.User.current()) await Parse.User.logOut().catch(() => undefined);
    }
  });

  test('the Flutter, Swift and Kotlin quick starts each cover the five steps', () => {
    const marked = blocksOf('docs/CLIENTS.md').filter((block) => kindOf(block) === 'marked');
    expect(marked.map((block) => block.lang).sort()).toEqual(['dart', 'kotlin', 'swift']);
    for (const block of marked) {
      for (const step of ['a-long-password', "catalog", 'endsInMs', 'Inventory', 'version', 'checkout', 'idempotencyKey', '4001', '4003', '4013', '119']) {
        expect(block.code, `${block.lang} quick start lacks ${step}`).toContain(step);
      }
    }
  });

  test('no-run marks stay rare: only code this repository cannot execute, or requests to another host', () => {
    const remote = (block: Block) => ['sh', 'bash', 'shell'].includes(block.lang) && !block.code.includes('localhost:1337');
    const marked = blocks.filter((block) => kindOf(block) === 'marked');
    expect(marked.filter((block) => !NOT_RUNNABLE_HERE.includes(block.lang) && !remote(block)).map((block) => `${block.file}:${block.line}`)).toEqual([]);
  });
});

// The admin credentials the README shows are the development defaults the test server uses too.
test('the README logs in with the admin the server ensures', () => {
  expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`"username":"${ADMIN.username}","password":"${ADMIN.password}"`);
});
