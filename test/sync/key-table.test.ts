// Tests of the diff's key interning: dense numbers in first-seen order, look-ups, growth past the expected size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../src/sync/key-table.js';

describe('KeyTable', () => {
  it('numbers keys 0, 1, 2 … in first-seen order and finds only those interned', () => {
    const t = new KeyTable(4);
    expect(t.intern('b@x')).toBe(0);
    expect(t.intern('a@x')).toBe(1);
    expect(t.intern('b@x')).toBe(0);
    expect(t.intern('')).toBe(2);
    expect(t.intern('太郎@x')).toBe(3);
    expect(t.find('a@x')).toBe(1);
    expect(t.find('')).toBe(2);
    expect(t.find('A@x')).toBe(-1);
    expect(t.find('太郎@x')).toBe(3);
  });

  it('agrees with a Map for any keys, well past the size it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 400 }), fc.nat(8), (keys, expected) => {
        const t = new KeyTable(expected);
        const reference = new Map<string, number>();
        for (const k of keys) {
          if (!reference.has(k)) reference.set(k, reference.size);
          expect(t.intern(k)).toBe(reference.get(k));
        }
        for (const k of keys) expect(t.find(k)).toBe(reference.get(k));
        expect(t.find('\u0000not interned')).toBe(-1);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('keeps 200,000 similar keys apart (the UPNs of one domain)', () => {
    const t = new KeyTable(1);
    const n = 200_000;
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) if (t.intern(`user.${i}@contoso.co.jp`) !== i) wrong.push(i);
    for (let i = 0; i < n; i++) if (t.find(`user.${i}@contoso.co.jp`) !== i) wrong.push(i);
    expect(wrong).toEqual([]);
    expect(t.find(`user.${n}@contoso.co.jp`)).toBe(-1);
  });
});
