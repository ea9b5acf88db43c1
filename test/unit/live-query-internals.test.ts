// Pins the private Live Query parts that scripts/server/live-query-internals.ts relies on: Parse
// builds each client's push functions with Client.prototype._pushEvent, and keeps sessions in authCache.
import { expect, test } from 'vitest';
import { orderLiveQueryEvents, widenSessionCache } from '../../scripts/server/live-query-internals';

const { Client } = require('parse-server/lib/LiveQuery/Client');

function client() {
  const sent: any[] = [];
  const socket = { send: (message: string) => sent.push(JSON.parse(message)) };
  return { client: new Client(1, socket), sent };
}

const row = (version: number, objectId = 'inv1') => ({ className: 'Inventory', objectId, stock: version, version });

test('an event older than one already sent on that subscription is dropped; newer and equal ones pass', () => {
  orderLiveQueryEvents();
  const { client: subscriber, sent } = client();
  subscriber.pushUpdate(1, row(12));
  subscriber.pushUpdate(1, row(11));
  subscriber.pushUpdate(1, row(12));
  subscriber.pushUpdate(1, row(14));
  expect(sent.map((m) => [m.op, m.object.version])).toEqual([['update', 12], ['update', 12], ['update', 14]]);
});

test('rows, subscriptions and clients are ordered separately; rows without a version always pass', () => {
  orderLiveQueryEvents();
  const a = client();
  const b = client();
  a.client.pushUpdate(1, row(5));
  a.client.pushUpdate(2, row(3)); // another subscription of the same client
  a.client.pushUpdate(1, row(2, 'inv2')); // another row
  b.client.pushUpdate(1, row(4)); // another client
  a.client.pushUpdate(1, { className: 'Order', objectId: 'o1', status: 'paid' });
  a.client.pushUpdate(1, { className: 'Order', objectId: 'o1', status: 'shipped' });
  expect(a.sent.map((m) => m.requestId + ':' + (m.object.version ?? m.object.status))).toEqual(['1:5', '2:3', '1:2', '1:paid', '1:shipped']);
  expect(b.sent).toHaveLength(1);
  a.client.pushSubscribe(3);
  expect(a.sent.at(-1)).toMatchObject({ op: 'subscribed', requestId: 3 });
});

test('the Live Query server keeps sessions in an authCache with room for 500, which widenSessionCache replaces', async () => {
  const http = require('node:http');
  const { ParseLiveQueryServer } = require('parse-server/lib/LiveQuery/ParseLiveQueryServer');
  const httpServer = http.createServer();
  const server = new ParseLiveQueryServer(httpServer, { appId: 'contract', masterKey: 'contract-key', serverURL: 'http://127.0.0.1:9/parse' }, {});
  try {
    expect(server.authCache.max).toBe(500);
    widenSessionCache(server, 20_000, 30_000);
    expect(server.authCache.max).toBe(20_000);
    expect(server.authCache.ttl).toBe(30_000);
    server.authCache.set('r:token', Promise.resolve({ userId: 'u1' }));
    expect(await server.getAuthForSessionToken('r:token')).toEqual({ userId: 'u1' });
  } finally {
    await server.shutdown();
    httpServer.close();
  }
});
