/** The definitions cache (cloud/edge/definitions.ts): expiry, forgetting, and no stale store after a forget. */
import { afterEach, describe, expect, test } from 'vitest';
import { DefinitionCache, definitionChanged, openSaleDefinitions, productDefinitions, sendDefinitionChangesWith } from '../../cloud/edge/definitions';

describe('DefinitionCache', () => {
  test('serves an entry until it expires', () => {
    const cache = new DefinitionCache<string>(1000);
    cache.store([['a', 'A']], cache.loading(), 10_000);
    expect(cache.get('a', 10_999)).toBe('A');
    expect(cache.get('a', 11_000)).toBeUndefined();
    expect(cache.get('b', 10_000)).toBeUndefined();
  });

  test('a load that began before a forget is not stored (it may hold what the save replaced)', () => {
    const cache = new DefinitionCache<string>();
    const started = cache.loading();
    cache.forget('a');
    cache.store([['a', 'old']], started);
    expect(cache.get('a')).toBeUndefined();
    cache.store([['a', 'new']], cache.loading());
    expect(cache.get('a')).toBe('new');
  });

  test('forgets one entry, or all', () => {
    const cache = new DefinitionCache<string>();
    cache.store([['a', 'A'], ['b', 'B']], cache.loading());
    cache.forget('a');
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, 'B']);
    cache.forget();
    expect(cache.get('b')).toBeUndefined();
  });
});

describe('definitionChanged', () => {
  afterEach(() => sendDefinitionChangesWith(null));

  test('forgets here and tells the other processes', () => {
    const sent: unknown[] = [];
    sendDefinitionChangesWith((change) => sent.push(change));
    productDefinitions.store([['p1', { id: 'p1' } as never], ['p2', { id: 'p2' } as never]], productDefinitions.loading());
    openSaleDefinitions.store([['p1', []]], openSaleDefinitions.loading());
    definitionChanged({ className: 'Product', productId: 'p1' });
    expect(productDefinitions.get('p1')).toBeUndefined();
    expect(productDefinitions.get('p2')).toBeDefined();
    expect(openSaleDefinitions.get('p1')).toEqual([]);
    definitionChanged({ className: 'FlashSale' });
    expect(openSaleDefinitions.get('p1')).toBeUndefined();
    expect(sent).toEqual([{ className: 'Product', productId: 'p1' }, { className: 'FlashSale' }]);
  });
});
