import { describe, expect, test } from 'vitest';
import { checkImageUrl, checkProductFields } from '../../cloud/domain/product-rules';

describe('checkProductFields', () => {
  test('accepts a complete, valid product', () => {
    expect(checkProductFields({ name: 'Pixel 9', price: 799.99, description: 'Phone', imageUrl: 'https://x.io/a.png', active: true })).toBeNull();
  });

  test.each([
    [{ name: undefined }, 'name', 'is required'],
    [{ name: null }, 'name', 'is required'],
    [{ name: '' }, 'name', 'must not be empty'],
    [{ name: 42 }, 'name', 'must be text'],
    [{ name: 'a'.repeat(201) }, 'name', 'must be at most 200 characters'],
    [{ price: undefined }, 'price', 'is required'],
    [{ price: 19.999 }, 'price', 'must have at most two decimals'],
    [{ price: -1 }, 'price', 'must not be negative'],
    [{ price: 'abc' }, 'price', 'must be a number'],
    [{ price: 2_000_000 }, 'price', 'must not be above 1,000,000'],
    [{ price: Number.NaN }, 'price', 'must be a number'],
    [{ price: 0 }, 'price', 'must be greater than 0'],
    [{ imageUrl: 'javascript:alert(1)' }, 'imageUrl', 'must be an http or https URL'],
    [{ imageUrl: 'ftp://x.io/a.png' }, 'imageUrl', 'must be an http or https URL'],
    [{ imageUrl: 'not a url' }, 'imageUrl', 'must be an http or https URL'],
    [{ description: 'd'.repeat(5001) }, 'description', 'must be at most 5000 characters'],
    [{ active: 'true' }, 'active', 'must be true or false'],
  ])('%j → %s %s', (fields, field, rule) => {
    expect(checkProductFields(fields)).toEqual({ field, rule });
  });

  test('only the given fields are checked, so an update checks what it changes', () => {
    expect(checkProductFields({ price: 5 })).toBeNull();
    expect(checkProductFields({ description: undefined, imageUrl: null })).toBeNull();
  });

  test('1,000,000 exactly is allowed', () => {
    expect(checkProductFields({ price: 1_000_000 })).toBeNull();
  });
});

describe('checkImageUrl', () => {
  test.each(['http://example.com/a.jpg', 'https://cdn.example.com/p/1.png?w=200'])('accepts %s', (url) => {
    expect(checkImageUrl(url)).toBeNull();
  });

  test('refuses very long URLs', () => {
    expect(checkImageUrl(`https://x.io/${'a'.repeat(2100)}`)).toBe('must be at most 2048 characters');
  });
});
