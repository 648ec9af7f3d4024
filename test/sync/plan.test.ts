// Tests of the plan: order, counts, guard verdict, fingerprints, and the hash (any edit is detected).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, writeCanonicalJson } from '../../src/sync/canonical-json.js';
import { entraFingerprint, sourceFingerprint } from '../../src/sync/fingerprint.js';
import type { Change, Plan, SourceUser } from '../../src/sync/model.js';
import { buildPlan, compareCodePoints, planShortHash, sortChanges, verifyPlanHash } from '../../src/sync/plan.js';
import { caseArb, DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const meta = { id: 'plan-1', now: new Date('2026-11-26T10:00:00Z'), createdBy: 'admin' };
const src = (local: string, id: string, extra: Partial<SourceUser> = {}): SourceUser => ({
  userPrincipalName: `${local}@${DOMAIN}`,
  immutableId: id,
  displayName: local,
  ...extra,
});
const sample = () =>
  snapshot({
    source: [src('zed', 'I1'), src('Bob', 'I2', { jobTitle: 'x' }), src('amy', 'I3'), src('carl', 'I4')],
    entra: [
      entraUser({ id: 'e2', userPrincipalName: `bob@${DOMAIN}`, onPremisesImmutableId: 'I2', displayName: 'Bob' }),
      entraUser({
        id: 'e4',
        userPrincipalName: `carl@${DOMAIN}`,
        onPremisesImmutableId: 'I4',
        displayName: 'carl',
        mailNickname: 'carl',
      }),
      entraUser({ id: 'e9', userPrincipalName: `gone@${DOMAIN}`, displayName: 'Gone' }),
      entraUser({ id: 'g1', userPrincipalName: `guest@${DOMAIN}`, userType: 'Guest' }),
    ],
  });

describe('buildPlan', () => {
  it('orders Add, Update, Delete, Skip, NoChange, then by UPN; counts and binds the inputs', () => {
    const plan = buildPlan(sample(), settings({ maxDeletionPercent: 50 }), meta);
    expect(plan.changes.map((c) => `${c.action}:${c.upn.split('@')[0]}`)).toEqual([
      'Add:amy',
      'Add:zed',
      'Update:Bob',
      'Delete:gone',
      'Skip:guest',
      'NoChange:carl',
    ]);
    expect(plan.counts).toEqual({ add: 2, update: 1, delete: 1, skip: 1, noChange: 1, restore: 0 });
    expect(plan.deletion).toEqual({
      count: 1,
      inScope: 3,
      percent: 33.3,
      maxPercent: 50,
      maxCount: null,
      wouldCancel: false,
    });
    expect(plan.guard).toEqual({ ok: true });
    expect(plan.createdAt).toBe('2026-11-26T10:00:00.000Z');
    expect(plan.formatVersion).toBe(3);
    expect(plan.writeSettings).toEqual({
      protectedAccounts: [],
      onDelete: 'delete',
      usageLocation: null,
      authenticationType: 'Managed',
    });
    expect(plan.settingsFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(planShortHash(plan.hash)).toBe(plan.hash.slice(0, 12));
    expect(planShortHash(plan.hash)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('reports a guard trip but still carries the whole plan', () => {
    const plan = buildPlan(sample(), settings({ maxDeletionPercent: 30 }), meta);
    expect(plan.guard).toEqual({
      ok: false,
      code: 'max-deletions',
      reason: 'cancelled: deletions 33.3% reached the 30% limit',
      message: { code: 'guard.maxDeletions', params: { percent: '33.3', max: '30' } },
    });
    expect(plan.changes).toHaveLength(6);
  });

  it('sorts by code point, not UTF-16 unit', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFFFD').toBe(true);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
  });

  it('orders changes by action, then lower-case UPN by code point, Immutable ID and Entra id', () => {
    // Code units across the ranges where code-unit and code-point order part: ASCII, D800–DFFF (halves of astral
    // characters), E000–FFFF, upper case.
    const unit = fc.constantFrom('a', 'B', 'é', '\u{1F600}', '\uFFFD', '\uE000', '\u00FF', '.', '\u{10000}');
    const text = fc.array(unit, { maxLength: 3 }).map((xs) => xs.join(''));
    const change = fc.record({
      action: fc.constantFrom('Delete', 'NoChange', 'Skip'),
      upn: text.map((t) => `${t}@x`),
      immutableId: fc.option(text),
      entraId: text,
    });
    const order = { Add: 0, Update: 1, Delete: 2, Skip: 3, NoChange: 4 };
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), (raw) => {
        const changes = raw as unknown as Change[];
        const byCodePoint = [...changes].sort(
          (p, q) =>
            order[p.action] - order[q.action] ||
            compareCodePoints(p.upn.toLowerCase(), q.upn.toLowerCase()) ||
            compareCodePoints(p.immutableId ?? '', q.immutableId ?? '') ||
            compareCodePoints((p as { entraId: string }).entraId, (q as { entraId: string }).entraId),
        );
        expect(sortChanges(changes)).toEqual(byCodePoint);
      }),
      { seed: 5, numRuns: 500 },
    );
  });

  it('is the same plan (and hash) whatever the input order', () => {
    const snap = sample();
    const reversed = { ...snap, source: [...snap.source].reverse(), entra: [...snap.entra].reverse() };
    expect(buildPlan(reversed, settings(), meta)).toEqual(buildPlan(snap, settings(), meta));
  });
});

describe('write settings', () => {
  it('decides them once from the stored settings and the organization country, and the diff reads them', () => {
    const plan = buildPlan(sample(), settings({ usageLocation: null }), meta, 'JP');
    expect(plan.writeSettings).toMatchObject({ usageLocation: 'JP', authenticationType: 'Managed' });
    const adds = plan.changes.filter((c) => c.action === 'Add');
    expect(adds.length).toBeGreaterThan(0);
    for (const add of adds) expect(add).toMatchObject({ usageLocation: 'JP' });
    // The domain's own usage location wins over the organization's country.
    const own = buildPlan(sample(), settings({ usageLocation: 'US' }), meta, 'JP');
    expect(own.writeSettings.usageLocation).toBe('US');
    expect(own.settingsFingerprint).not.toBe(plan.settingsFingerprint);
  });
});

describe('plan hash', () => {
  it('verifies an untouched plan, also after a JSON round trip', () => {
    const plan = buildPlan(sample(), settings(), meta);
    expect(verifyPlanHash(plan)).toBe(true);
    expect(verifyPlanHash(JSON.parse(JSON.stringify(plan)) as Plan)).toBe(true);
  });

  it('detects any tampering with the content', () => {
    const plan = buildPlan(sample(), settings(), meta);
    const edits: ((p: Plan) => Plan)[] = [
      (p) => ({ ...p, domain: 'evil.example' }),
      (p) => ({ ...p, changes: p.changes.slice(1) }),
      (p) => ({ ...p, guard: { ok: true }, deletion: { ...p.deletion, maxPercent: 99 } }),
      (p) => ({ ...p, changes: p.changes.map((c) => (c.action === 'Delete' ? { ...c, entraId: 'other' } : c)) }),
      (p) => ({ ...p, entraFingerprint: '0'.repeat(64) }),
      (p) => ({ ...p, hash: p.hash.replace(/^./, (d) => (d === 'a' ? 'b' : 'a')) }),
    ];
    for (const edit of edits) expect(verifyPlanHash(edit(plan))).toBe(false);
  });

  it('changes whenever the content changes (generated plans)', () => {
    fc.assert(
      fc.property(caseArb, fc.string({ minLength: 1, maxLength: 3 }), ({ snapshot: snap, settings: s }, by) => {
        const a = buildPlan(snap, s, meta);
        const b = buildPlan(snap, s, { ...meta, createdBy: `${meta.createdBy}${by}` });
        expect(a.hash).not.toBe(b.hash);
        expect(verifyPlanHash({ ...b, hash: a.hash })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('streams the canonical JSON identically to the one-string form, with sorted keys and no undefined', () => {
    const value = { b: [1, undefined, { d: 'é', c: null }], a: true, z: undefined };
    const parts: string[] = [];
    writeCanonicalJson(value, (t) => parts.push(t));
    expect(parts.join('')).toBe(canonicalJson(value));
    expect(canonicalJson(value)).toBe('{"a":true,"b":[1,null,{"c":null,"d":"é"}]}');
  });

  it('orders keys by UTF-16 code unit (upper case, accents, astral characters), an undefined member skipped', () => {
    const value = { '\uffff': 1, '\u{1f600}': 2, é: 3, z: 4, a: undefined, B: 5, '': [undefined] };
    const parts: string[] = [];
    writeCanonicalJson(value, (t) => parts.push(t));
    expect(parts.join('')).toBe(canonicalJson(value));
    expect(canonicalJson(value)).toBe('{"":[null],"B":5,"z":4,"é":3,"\u{1f600}":2,"\uffff":1}');
  });

  it('writes objects of many shapes and key orders as if each were sorted on its own', () => {
    // More shapes than the writer keeps (32), the same keys inserted in different orders, undefined members.
    const key = fc.constantFrom('a', 'B', 'é', 'ab', '', 'z', '\u{1f600}', '\uffff');
    const leaf = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer(), fc.string());
    const record = fc
      .array(fc.tuple(key, fc.oneof(leaf, fc.array(leaf, { maxLength: 2 }))), { maxLength: 8 })
      .map((entries) => Object.fromEntries(entries));
    const sortedDeep = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortedDeep)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])]),
            )
          : v;
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (records) => {
        expect(canonicalJson(records)).toBe(JSON.stringify(sortedDeep(records)));
        for (const r of records) expect(canonicalJson(r)).toBe(JSON.stringify(sortedDeep(r)));
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

describe('fingerprints', () => {
  it('ignore order but see every field the diff reads, including undefined versus null', () => {
    const users = [src('a', 'I1'), src('b', 'I2', { jobTitle: 'x' })];
    const base = sourceFingerprint(users);
    expect(sourceFingerprint([...users].reverse())).toBe(base);
    expect(sourceFingerprint([users[0]!, { ...users[1]!, jobTitle: 'y' }])).not.toBe(base);
    expect(sourceFingerprint([{ ...users[0]!, department: null }, users[1]!])).not.toBe(base);
    const e = [entraUser({ id: '1', userPrincipalName: `a@${DOMAIN}` })];
    const fp = entraFingerprint(e, [], new Set());
    expect(entraFingerprint(e, [], new Set(['1']))).not.toBe(fp);
    expect(entraFingerprint(e, [], new Set(['unrelated']))).toBe(fp);
    expect(entraFingerprint([{ ...e[0]!, accountEnabled: false }], [], new Set())).not.toBe(fp);
    expect(
      entraFingerprint(
        e,
        [{ id: 'd', userPrincipalName: `x@${DOMAIN}`, onPremisesImmutableId: 'I9', deletedDateTime: null }],
        new Set(),
      ),
    ).not.toBe(fp);
  });
});
