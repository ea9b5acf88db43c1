/**
 * The private parts of Parse's Live Query server that this server relies on, each pinned by
 * test/unit/live-query-internals.test.ts so that an upgrade which changes them fails there.
 *
 * Order. Parse's Live Query server sends each subscriber its events from concurrent async work (ACL, CLP
 * and session checks per subscriber), and events published by other processes reach it through
 * Redis in the order they arrived there. So a subscriber could get a row's version 12 before its
 * version 11, and keep 11 as the current stock. SPEC 9: a row never goes back in time for a
 * subscriber. Every event leaves through its Client's push functions, which Parse builds with
 * `_pushEvent` (a private method): the gate sits
 * there. Per subscription and row, an event older than the newest one already sent is dropped; the
 * newer one carries the later state.
 */
import { NewestVersions } from '../../cloud/domain/version-order';

type Push = (this: object, requestId: number, object?: Record<string, unknown>, original?: Record<string, unknown> | null) => void;
interface ClientClass {
  prototype: { _pushEvent(type: string): Push };
}

/** Events that carry the row's state. `delete` is final and always passes. */
const STATE_EVENTS = new Set(['create', 'enter', 'update', 'leave']);

/** Per Live Query client, the newest version sent per subscription and row. */
const newestSent = new WeakMap<object, NewestVersions>();

/** True when `object` is not older than the newest version of its row already sent on this subscription. */
export function isNewest(client: object, requestId: number, object: Record<string, unknown> | undefined): boolean {
  let sent = newestSent.get(client);
  if (!sent) newestSent.set(client, (sent = new NewestVersions()));
  return sent.admit(`${requestId}:${String(object?.className)}:${String(object?.objectId)}`, object?.version);
}

let installed = false;

/** Puts the gate on every Live Query client created from now on in this process. */
export function orderLiveQueryEvents(): void {
  if (installed) return;
  installed = true;
  // The host's own copy: this runs in the process that starts Parse Server, never in cloud code.
  const { Client } = require('parse-server/lib/LiveQuery/Client') as { Client: ClientClass };
  const proto = Client.prototype;
  const buildPush = proto._pushEvent;
  proto._pushEvent = function (type: string): Push {
    const push = buildPush.call(this, type);
    if (!STATE_EVENTS.has(type)) return push;
    return function (this: object, requestId, object, original) {
      if (isNewest(this, requestId, object)) push.call(this, requestId, object, original);
    };
  };
}

/** What Parse's Live Query server keeps per session token: a promise of the session's auth. */
interface AuthCache {
  constructor: new (options: { max: number; ttl: number }) => AuthCache;
}

/**
 * Room in the Live Query server's session cache. Parse checks every event against each
 * subscriber's session (CLP, then protected fields), through a cache that it creates with room for
 * 500 sessions. With more signed-in subscribers than that, every event evicted the sessions the
 * next subscribers needed, and each check became a session lookup again. `sessions` should exceed
 * the subscribers one process holds; entries live `ttlMs` (Parse's `cacheTimeout`).
 */
export function widenSessionCache(liveQueryServer: unknown, sessions: number, ttlMs: number): void {
  const server = liveQueryServer as { authCache?: AuthCache };
  if (!server.authCache) throw new Error('Parse Server\'s Live Query server has no authCache: check live-query-internals.ts against this version');
  const Cache = server.authCache.constructor;
  server.authCache = new Cache({ max: sessions, ttl: ttlMs });
}
