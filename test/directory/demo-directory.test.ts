// The demo Access Control directory differs from the demo tenant in realistic, deterministic ways.
import { describe, expect, it } from 'vitest';
import { demoDirectory } from '../../src/directory/demo-directory.js';
import { upnProblem } from '../../src/directory/source-user-rules.js';
import { demoPeople } from '../../src/emulator/index.js';

describe('demoDirectory', () => {
  const people = demoPeople();
  const users = demoDirectory(people);

  it('is deterministic', () => {
    expect(demoDirectory(demoPeople())).toEqual(users);
  });

  it('has 3 leavers, 6 new hires, 4 renamed and 5 moved or promoted people; nobody else changes', () => {
    const byId = new Map(users.map((u) => [u.immutableId, u]));
    const leavers = people.filter((p) => !byId.has(p.immutableId));
    const known = new Set(people.map((p) => p.immutableId));
    const hires = users.filter((u) => !known.has(u.immutableId));
    expect(leavers).toHaveLength(3);
    expect(hires).toHaveLength(6);
    expect(users).toHaveLength(people.length - 3 + 6);

    let renamed = 0;
    let moved = 0;
    for (const p of people) {
      const u = byId.get(p.immutableId);
      if (!u) continue;
      expect(u.userPrincipalName).toBe(p.upn);
      expect(u.givenName).toBe(p.givenName);
      expect(u.employeeId).toBe(p.employeeId);
      const nameChanged = u.surname !== p.surname || u.displayName !== p.displayName;
      const jobChanged = u.department !== p.department || u.jobTitle !== p.jobTitle;
      expect(nameChanged && jobChanged).toBe(false);
      if (nameChanged) renamed++;
      if (jobChanged) moved++;
    }
    expect(renamed).toBe(4);
    expect(moved).toBe(5);
    // The administrator (first person) is left alone.
    expect(byId.get(people[0]!.immutableId)).toMatchObject({ displayName: people[0]!.displayName });
  });

  it('a married person keeps their Immutable ID and UPN, and the display name follows the new surname', () => {
    const byId = new Map(users.map((u) => [u.immutableId, u]));
    const married = people.filter((p) => byId.get(p.immutableId) && byId.get(p.immutableId)!.surname !== p.surname);
    expect(married.length).toBeGreaterThan(0);
    for (const p of married) {
      const u = byId.get(p.immutableId)!;
      expect(u.displayName).toContain(u.surname!);
      expect(u.displayName).not.toContain(p.surname);
    }
  });

  it('new hires are valid, unique users of the domain with fresh employee ids', () => {
    const known = new Set(people.map((p) => p.immutableId));
    const hires = users.filter((u) => !known.has(u.immutableId));
    const upns = new Set(users.map((u) => u.userPrincipalName.toLowerCase()));
    expect(upns.size).toBe(users.length);
    expect(new Set(users.map((u) => u.immutableId)).size).toBe(users.length);
    const existingIds = new Set(people.map((p) => p.employeeId));
    for (const h of hires) {
      expect(upnProblem(h.userPrincipalName)).toBeNull();
      expect(h.userPrincipalName.endsWith('@contoso.co.jp')).toBe(true);
      expect(h.immutableId).not.toMatch(/[$_\s]/);
      expect(existingIds.has(h.employeeId!)).toBe(false);
      expect(h.displayName).toBe(`${h.surname} ${h.givenName}`);
    }
  });

  it('returns nothing for no people', () => {
    expect(demoDirectory([])).toEqual([]);
  });
});
