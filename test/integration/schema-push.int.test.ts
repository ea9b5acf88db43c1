/**
 * `npm run schema:push` against a fresh Parse Server that has nothing of this project: no schema
 * option, no cloud code, a new PostgreSQL database. The tests run in order, each on what the one
 * before left.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../scripts/server/embedded-postgres';
import { loadSchemaDefinitions } from '../../scripts/server/schema-definitions';
import { graphQLConfig } from '../../scripts/server/graphql-config';
import { startPlainServer } from '../helpers/plain-server';
import { APP_ID, MASTER_KEY, ROOT, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startPlainServer({}, { bare: true });
});
afterAll(() => server?.stop());

const definitions = loadSchemaDefinitions() as Array<{
  className: string;
  fields: Record<string, Record<string, unknown>>;
  indexes?: Record<string, Record<string, number>>;
  classLevelPermissions: Record<string, unknown>;
}>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function push(args: string[] = [], env: Record<string, string> = {}, flags = true): Promise<Run> {
  const connection = flags ? ['--server-url', server.apiURL, '--app-id', APP_ID, '--master-key', MASTER_KEY] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/schema-push.ts', ...connection, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function schemas(): Promise<any[]> {
  const { results } = await server.ok('GET', '/schemas', undefined, { master: true });
  return results.sort((a: any, b: any) => (a.className < b.className ? -1 : 1));
}

const byName = (classes: any[]) => new Map(classes.map((c) => [c.className, c]));

test('--dry-run on a fresh server lists every class, field, index and permission and changes nothing', async () => {
  const before = await schemas();
  const run = await push(['--dry-run']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split('\n');
  for (const { className, fields, indexes } of definitions) {
    // A fresh server stores only _User and _Role; every other class is created.
    const header = className === '_User' || className === '_Role' ? `set permissions ${className}: ` : `create class ${className}`;
    expect(lines.some((line) => line.startsWith(header)), header).toBe(true);
    for (const field of Object.keys(fields)) expect(lines.some((l) => l.trimStart().startsWith(`add field ${className}.${field}: `))).toBe(true);
    for (const index of Object.keys(indexes ?? {})) expect(lines.some((l) => l.trimStart().startsWith(`add index ${className}.${index} (`))).toBe(true);
  }
  expect(lines).toContain('create role admin (master key only)');
  expect(lines.at(-1)).toMatch(/^Dry run: \d+ change\(s\) planned, nothing was changed\.$/);

  expect(await schemas()).toEqual(before);
  expect(await server.ok('GET', '/graphql-config', undefined, { master: true })).toEqual({});
  expect((await server.find('_Role')).length).toBe(0);
});

test('creates every class, field, index, permission and protected field of schema/, the admin role and the GraphQL config', async () => {
  const run = await push();
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/Applied \d+ change\(s\)/);
  expect(run.stdout).toContain('the cloud code creates their unique indexes when it loads');

  const onServer = byName(await schemas());
  for (const { className, fields, indexes, classLevelPermissions } of definitions) {
    const actual = onServer.get(className);
    expect(actual, className).toBeDefined();
    for (const [field, spec] of Object.entries(fields)) expect(actual.fields[field], `${className}.${field}`).toEqual(spec);
    // PostgreSQL keeps index keys in jsonb, which orders them its own way: compare as sets.
    for (const [index, keys] of Object.entries(indexes ?? {})) expect(actual.indexes?.[index], `${className}.${index}`).toEqual(keys);
    expect(actual.classLevelPermissions, className).toEqual(classLevelPermissions);
  }
  expect(onServer.get('_User').classLevelPermissions.protectedFields).toEqual({ '*': ['email'] });

  const roles = await server.find('_Role', { name: 'admin' });
  expect(roles.map((role) => [role.name, role.ACL])).toEqual([['admin', {}]]);
  expect(await server.ok('GET', '/graphql-config', undefined, { master: true })).toEqual(graphQLConfig(loadSchemaDefinitions()));
});

test('the pushed permissions hold: clients cannot write products, and nobody reads another user’s email', async () => {
  const [alice, bob] = await server.users(2);
  const created = await server.request('POST', '/classes/Product', { name: 'Nope', price: 1 }, { session: alice });
  expect(created.body.code).toBe(119);
  // Parse keeps users private by default (enforcePrivateUsers): let everyone read Bob, all but his email.
  await server.ok('PUT', `/users/${bob.userId}`, { ACL: { '*': { read: true }, [bob.userId]: { read: true, write: true } } }, { master: true });
  const seen = await server.ok('GET', `/users/${bob.userId}`, undefined, { session: alice });
  expect([seen.username, seen.email]).toEqual([bob.username, undefined]);
});

test('a second run changes nothing and says so; environment variables work, and flags win over them', async () => {
  const before = await schemas();
  const fromEnv = await push([], { SERVER_URL: server.apiURL, APP_ID, MASTER_KEY }, false);
  expect([fromEnv.code, fromEnv.stderr]).toEqual([0, '']);
  expect(fromEnv.stdout.trim()).toBe(`Nothing to change: ${server.apiURL} already has schema/ (${definitions.length} classes), the admin role and the GraphQL config.`);

  const flagsWin = await push([], { MASTER_KEY: 'wrong-key' });
  expect([flagsWin.code, flagsWin.stdout.startsWith('Nothing to change:')]).toEqual([0, true]);
  expect(await schemas()).toEqual(before);
});

test('--dry-run on a server missing a field, an index and a permission lists them and changes nothing', async () => {
  await server.ok('PUT', '/schemas/Product', { fields: { description: { __op: 'Delete' } }, indexes: { active_name: { __op: 'Delete' } } }, { master: true });
  const orderPermissions = definitions.find((d) => d.className === 'Order')!.classLevelPermissions;
  await server.ok('PUT', '/schemas/Order', { classLevelPermissions: { ...orderPermissions, find: { '*': true } } }, { master: true });
  const before = await schemas();

  const run = await push(['--dry-run']);
  expect(run.code).toBe(0);
  expect(run.stdout.trim().split('\n')).toEqual([
    expect.stringMatching(/^set permissions Order: find: requiresAuthentication; /),
    'add field Product.description: String',
    'add index Product.active_name (active, name)',
    'Dry run: 3 change(s) planned, nothing was changed.',
  ]);
  expect(await schemas()).toEqual(before);

  expect((await push()).code).toBe(0);
  expect((await push()).stdout).toMatch(/^Nothing to change:/);
});

test('refuses to replace a field of another type that holds data, naming it, and replaces it with --force', async () => {
  // A field schema/ types String, holding a number: the shape a hand-made class on a host can have.
  await server.ok('PUT', '/schemas/Product', { fields: { description: { __op: 'Delete' } } }, { master: true });
  const row = await server.ok('POST', '/classes/Product', { name: 'Old', price: 1, description: 42 }, { master: true });
  const before = await schemas();

  for (const args of [[], ['--dry-run']]) {
    const refused = await push(args);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('replace field Product.description: Number -> String (deletes its values), holds data');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^Refused: Product\.description holds data of another type than schema\/ says; nothing was changed\./);
  }
  expect(await schemas()).toEqual(before);
  expect((await server.ok('GET', `/classes/Product/${row.objectId}`, undefined, { master: true })).description).toBe(42);

  const forced = await push(['--force']);
  expect([forced.code, forced.stderr]).toEqual([0, '']);
  expect(byName(await schemas()).get('Product').fields.description).toEqual({ type: 'String' });
  expect((await server.ok('GET', `/classes/Product/${row.objectId}`, undefined, { master: true })).description).toBeUndefined();
  expect((await push()).stdout).toMatch(/^Nothing to change:/);
});

test('replaces a field of another type that holds no data without --force, and leaves extra fields alone', async () => {
  await server.ok('PUT', '/schemas/Lock', { fields: { token: { __op: 'Delete' } } }, { master: true });
  await server.ok('PUT', '/schemas/Lock', { fields: { token: { type: 'Number' }, note: { type: 'String' } } }, { master: true });
  const run = await push();
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain('replace field Lock.token: Number -> String, required (deletes its values)');
  expect(run.stdout).toContain('left alone: field Lock.note (on the server, not in schema/)');
  const lock = byName(await schemas()).get('Lock');
  expect([lock.fields.token, lock.fields.note]).toEqual([{ type: 'String', required: true }, { type: 'String' }]);
});

test('a wrong master key is one line on stderr and exit 1', async () => {
  const run = await push(['--master-key', 'wrong-key']);
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`schema:push: ${server.apiURL} refused the app id or master key (403 Permission denied): check --app-id and --master-key\n`);
});

test('an unreachable server is one line on stderr and exit 1', async () => {
  const closed = `http://127.0.0.1:${await freePort()}/parse`;
  const run = await push(['--server-url', closed]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^schema:push: Cannot reach a Parse Server at ${closed}: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\n$`));
});

test('a URL that is not a Parse Server mount, or not a URL at all, is one line on stderr', async () => {
  const notParse = await push(['--server-url', `http://127.0.0.1:${server.port}/elsewhere`]);
  expect(notParse.code).toBe(1);
  expect(notParse.stderr).toMatch(/^schema:push: http:\/\/127\.0\.0\.1:\d+\/elsewhere is not a Parse Server's mount path .*answered 404 with no JSON\n$/);
  const bad = await push(['--server-url', 'not a url']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^schema:push: --server-url must be an http\(s\) URL such as https:\/\/host\/parse \(usage: [^\n]*\)\n$/);
});

test('a class that the host’s cloud code creates between the read and the create is planned again, not a failure', async () => {
  // The host's cloud code makes ProcessLease with its first write (each server process writes its
  // lease as it starts). A proxy lets that write land just before schema:push's create of the class.
  await server.ok('DELETE', '/purge/ProcessLease', undefined, { master: true });
  await server.ok('DELETE', '/schemas/ProcessLease', undefined, { master: true });
  let raced = 0;
  const proxy = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (request.method === 'POST' && request.url?.endsWith('/schemas/ProcessLease') && raced++ === 0) {
      await server.ok('POST', '/classes/ProcessLease', { pid: 1, host: 'host', expiresAt: { __type: 'Date', iso: new Date().toISOString() } }, { master: true });
    }
    const upstream = await fetch(`http://127.0.0.1:${server.port}${request.url}`, {
      method: request.method,
      headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith('x-parse') || name === 'content-type')) as Record<string, string>,
      body: body.length > 0 ? body : undefined,
    });
    response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (proxy.address() as AddressInfo).port;
    const run = await push(['--server-url', `http://127.0.0.1:${port}/parse`]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(raced).toBe(1);
    expect(run.stdout).toContain('POST /schemas/ProcessLease failed: 103 Class ProcessLease already exists. The server made it meanwhile; planning again');
    const wanted = definitions.find((d) => d.className === 'ProcessLease')!;
    const lease = byName(await schemas()).get('ProcessLease');
    for (const [field, spec] of Object.entries(wanted.fields)) expect(lease.fields[field], field).toEqual(spec);
    expect(lease.classLevelPermissions).toEqual(wanted.classLevelPermissions);
    expect((await push()).stdout).toMatch(/^Nothing to change:/m);
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});
