// Write phases of a plan stored before plan format 3, whose changes do not carry them; delete once no such plan can be stored.
import type { AttributeChange, Change } from './model.js';

/*
 * From format 3 the diff gives each Add and Update its phase while it follows the rename chains. A plan made by the
 * version before (format 2) may still be applied or resumed after an upgrade, within the 7 days plans are kept: its
 * phases are derived here from its own changes, by the rule the diff applies, so the same writes go in the same order.
 */

type Update = Extract<Change, { action: 'Update' }>;

const renameOf = (changes: readonly AttributeChange[]): { from: string; to: string } | null => {
  const c = changes.find((x) => x.attribute === 'userPrincipalName');
  if (!c || typeof c.before !== 'string' || typeof c.after !== 'string') return null;
  const from = c.before.toLowerCase();
  const to = c.after.toLowerCase();
  return from === to ? null : { from, to };
};

/** The changes with the `phase` / `updatePhase` a format-3 diff would have given them. */
export function withLegacyPhases(changes: readonly Change[]): Change[] {
  const renameFrom = new Map<string, Update>();
  for (const c of changes) {
    if (c.action !== 'Update') continue;
    const r = renameOf(c.changes);
    if (r) renameFrom.set(r.from, c);
  }
  const level = new Map<Update, number>();
  const levelOf = (start: Update): number => {
    const path: Update[] = [];
    const onPath = new Set<Update>();
    let cur: Update | undefined = start;
    let base = -1;
    while (cur) {
      const known = level.get(cur);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (onPath.has(cur)) throw new Error(`write-ops: UPN renames form a cycle at ${cur.upn}`);
      onPath.add(cur);
      path.push(cur);
      const r = renameOf(cur.changes);
      const next = r ? renameFrom.get(r.to) : undefined;
      cur = next && next !== cur ? next : undefined;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      base += 1;
      level.set(path[i]!, base);
    }
    return level.get(start)!;
  };
  const afterRename = (upn: string): number => {
    const holder = renameFrom.get(upn.toLowerCase());
    return holder ? levelOf(holder) + 1 : 0;
  };
  return changes.map((c): Change => {
    if (c.action === 'Update') {
      const phase = renameOf(c.changes) ? levelOf(c) : 0;
      return phase > 0 ? { ...c, phase } : c;
    }
    if (c.action !== 'Add') return c;
    if (!c.restoreId) {
      const phase = afterRename(c.upn);
      return phase > 0 ? { ...c, phase } : c;
    }
    const upnChange = c.changes.find((x) => x.attribute === 'userPrincipalName');
    const phase = afterRename(typeof upnChange?.before === 'string' ? upnChange.before : c.upn);
    const updatePhase = c.changes.length > 0 ? Math.max(phase + 1, afterRename(c.upn)) : 0;
    return { ...c, ...(phase > 0 ? { phase } : {}), ...(updatePhase > 0 ? { updatePhase } : {}) };
  });
}
