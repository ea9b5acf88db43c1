/** Checkouts waiting their turn at units in flight (cloud/edge/counter-hints.ts demandHints): one woken per checkout that ends, in order. */
import { describe, expect, test } from 'vitest';
import { demandHints } from '../../cloud/edge/counter-hints';

const soon = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('demandHints', () => {
  test('counts the units being tried while the work runs, and forgets them after, even when it fails', async () => {
    const key = 'Inventory:counted';
    let during = -1;
    await demandHints.during([[key, 2]], async () => {
      during = demandHints.pending(key);
    });
    expect(during).toBe(2);
    await expect(demandHints.during([[key, 3]], async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(demandHints.pending(key)).toBe(0);
  });

  test('each checkout that ends wakes the first waiter only; a woken waiter that goes on wakes the next', async () => {
    const key = 'Inventory:turns';
    const woken: string[] = [];
    const wait = (name: string) => demandHints.waitTurn(key, Date.now() + 5_000).then((turn) => woken.push(`${name}:${turn}`));
    let finish!: () => void;
    const inFlight = demandHints.during([[key, 1]], () => new Promise<void>((resolve) => (finish = resolve)));
    const first = wait('first');
    const second = wait('second');
    await soon();
    expect(woken).toEqual([]);
    finish();
    await inFlight;
    await first;
    await soon();
    expect(woken).toEqual(['first:true']); // not the second: one finish, one waiter looks again
    demandHints.passTurn(key); // the first went on without waiting again
    await second;
    expect(woken).toEqual(['first:true', 'second:true']);
  });

  test('a waiter gives up at its deadline and leaves the queue', async () => {
    const key = 'Inventory:deadline';
    expect(await demandHints.waitTurn(key, Date.now() + 20)).toBe(false);
    const later = demandHints.waitTurn(key, Date.now() + 5_000);
    await demandHints.during([[key, 1]], async () => undefined);
    expect(await later).toBe(true); // the one that gave up was not woken in its place
  });
});
