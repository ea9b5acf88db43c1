/**
 * A short read-through cache of what products and sales are: a product's name, price and whether
 * it is for sale; a sale's product, window, price and limits. Never stock or counters (a sale's
 * soldCount is read from the database every time, see records.ts loadShelf).
 *
 * A save of a Product or FlashSale forgets its entries in this process at once (its trigger) and
 * in every other process through the hook the server sets (scripts/server/definitions-channel.ts,
 * over Redis when it is set); entries also expire after DEFINITION_TTL_MS, which bounds what a
 * lost message can leave behind. A load that started before a forget is not stored.
 */
import type { SaleTerms } from '../domain/sale-window';
import type { ProductFacts } from './records';

export const DEFINITION_TTL_MS = 5_000;

export type SaleDefinition = Omit<SaleTerms, 'soldCount'>;

export class DefinitionCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();
  private generation = 0;

  constructor(private readonly ttlMs = DEFINITION_TTL_MS) {}

  get(id: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(id);
    return undefined;
  }

  /** Marks the start of a load: store its values with this mark. */
  loading(): number {
    return this.generation;
  }

  /** Stores what a load read, unless something was forgotten since it began. */
  store(values: Iterable<[string, T]>, loadStarted: number, now = Date.now()): void {
    if (loadStarted !== this.generation) return;
    for (const [id, value] of values) this.entries.set(id, { value, until: now + this.ttlMs });
  }

  /** Forgets one entry, or every entry. */
  forget(id?: string): void {
    this.generation++;
    if (id === undefined) this.entries.clear();
    else this.entries.delete(id);
  }
}

export const productDefinitions = new DefinitionCache<ProductFacts>();
/** The sales of a product that had not ended when loaded, by product id. */
export const openSaleDefinitions = new DefinitionCache<SaleDefinition[]>();

export interface DefinitionChange {
  className: 'Product' | 'FlashSale';
  /** The product's id; a sale's change forgets every product's sales (its product may have changed). */
  productId?: string;
}

let tellOthers: ((change: DefinitionChange) => void) | null = null;

/** Where changes are sent for the other processes (the server sets it when it runs several). */
export function sendDefinitionChangesWith(send: ((change: DefinitionChange) => void) | null): void {
  tellOthers = send;
}

/** Forgets what `change` makes stale here. */
export function forgetHere(change: DefinitionChange): void {
  if (change.className === 'Product') productDefinitions.forget(change.productId);
  else openSaleDefinitions.forget();
}

/** A product or sale was saved or deleted: forget it here and in every other process. */
export function definitionChanged(change: DefinitionChange): void {
  forgetHere(change);
  tellOthers?.(change);
}
