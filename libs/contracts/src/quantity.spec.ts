import { describe, expect, it } from '@jest/globals';
import { asQuantity, quantityValue } from './quantity.js';

describe('quantityValue', () => {
  it.each([
    ['2', 2],
    ['500m', 0.5],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['100Mi', 100 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['16G', 16e9],
    ['1k', 1000],
    ['1E', 1e18],
    ['1e3', 1000],
    ['12E-1', 1.2],
    ['250u', 250e-6],
  ])('reads %s as %d', (quantity, value) => {
    expect(quantityValue(quantity)).toBeCloseTo(value);
  });

  it.each(['', ' 1', '1 ', '-1', '+1', '1GB', '1gi', '0x10', 'Infinity', '1e', 'm', '1.2.3', '1K'])('takes %j for no quantity', (text) => {
    expect(quantityValue(text)).toBeUndefined();
  });
});

describe('asQuantity', () => {
  it('turns a number of cores or bytes into its quantity, and keeps a quantity', () => {
    expect([asQuantity(0.25), asQuantity(2), asQuantity(1e21), asQuantity('16Gi')]).toEqual(['0.25', '2', '1e+21', '16Gi']);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, true, null, {}, '1 GB'])('refuses %p', (value) => {
    expect(asQuantity(value)).toBeUndefined();
  });
});
