// The ordered index behind paging: random inserts/removes agree with a sorted array; resuming after a key and prefixes work.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys } from '../../src/emulator/sorted-keys.js';

describe('SortedKeys', () => {
  it('agrees with a sorted array under random inserts and removes (across chunk splits)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.string({ minLength: 0, maxLength: 5, unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h') }),
          ),
          {
            maxLength: 3000,
          },
        ),
        fc.array(fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', 'c') }), { maxLength: 50 }),
        (ops, initial) => {
          const s = SortedKeys.from(initial);
          const ref = new Set(initial);
          for (const [add, k] of ops) {
            if (add) expect(s.insert(k)).toBe(!ref.has(k));
            else expect(s.remove(k)).toBe(ref.has(k));
            if (add) ref.add(k);
            else ref.delete(k);
          }
          const sorted = [...ref].sort();
          expect([...s.after(undefined)]).toEqual(sorted);
          expect(s.size).toBe(sorted.length);
          const cursor = sorted[Math.floor(sorted.length / 2)];
          expect([...s.after(cursor)]).toEqual(sorted.filter((k) => cursor === undefined || k > cursor));
          expect([...s.after(undefined, 'ab')]).toEqual(sorted.filter((k) => k.startsWith('ab')));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('resumes inside a prefix range after a cursor, and past the end yields nothing', () => {
    const s = SortedKeys.from(Array.from({ length: 5000 }, (_, i) => `k${String(i).padStart(5, '0')}`));
    expect([...s.after('k01234', 'k012')].slice(0, 2)).toEqual(['k01235', 'k01236']);
    expect([...s.after('k01299', 'k012')]).toEqual([]);
    expect([...s.after('zzz')]).toEqual([]);
  });
});
