// The pre-check use case: objects in a domain that look like rooms, shared mailboxes or service accounts, and moving
// the chosen ones to the tenant's initial domain before the first sync.
import { say } from '../core-messages.js';
import type { WriteOp } from '../ports.js';
import { precheckCandidates } from '../precheck-core.js';
import {
  isRefusal,
  type MoveResult,
  type PrecheckResult,
  type Refusal,
  type SyncService,
} from '../service-interface.js';
import type { ServiceContext } from './context.js';
import { normaliseDomain, refuse } from './deps.js';

export function precheckUseCases(ctx: ServiceContext): Pick<SyncService, 'precheck' | 'moveToInitialDomain'> {
  const { deps, tenantDomain, holdLease, snapshotFor } = ctx;

  async function precheck(rawDomain: string): Promise<PrecheckResult | Refusal> {
    const name = normaliseDomain(rawDomain);
    // One read of the tenant's domains: the domain, the staging domain of a federated one, and the initial domain.
    const found = await tenantDomain(name);
    if (isRefusal(found)) return found;
    const snapshot = await snapshotFor(found);
    const initial = found.domains.find((d) => d.isInitial);
    if (!initial) return refuse('unknown-domain', say('refusal.noInitialDomain'));
    const result: PrecheckResult = {
      domain: name,
      initialDomain: initial.id,
      candidates: precheckCandidates(snapshot),
    };
    return result;
  }

  return {
    precheck,

    async moveToInitialDomain(rawDomain, entraIds, by) {
      const pre = await precheck(rawDomain);
      if (isRefusal(pre)) return pre;
      const held = await holdLease(pre.domain);
      if (isRefusal(held)) return held;
      try {
        const byId = new Map(pre.candidates.map((c) => [c.user.id, c.user]));
        const failed: MoveResult['failed'][number][] = [];
        const ops: WriteOp[] = [];
        const targets = new Map<string, { id: string; from: string; to: string }>();
        for (const id of new Set(entraIds)) {
          const user = byId.get(id);
          if (!user) {
            const why = say('precheck.notListed');
            failed.push({ id, upn: id, reason: why.text, reasonMessage: why.message });
            continue;
          }
          const local = user.userPrincipalName.split('@')[0] ?? user.id;
          const to = `${local}@${pre.initialDomain}`;
          ops.push({ opId: `m:${id}`, phase: 0, kind: 'update', userId: id, attributes: { userPrincipalName: to } });
          targets.set(`m:${id}`, { id, from: user.userPrincipalName, to });
        }
        const moved: { id: string; from: string; to: string }[] = [];
        await deps.writer.execute(ops, {
          onResult: (r) => {
            const t = targets.get(r.opId)!;
            if (r.ok) moved.push(t);
            else failed.push({ id: t.id, upn: t.from, reason: `${r.code}: ${r.message}` });
          },
        });
        deps.logger.info(
          { domain: pre.domain, moved: moved.length, failed: failed.length, by },
          'moved objects to the initial domain',
        );
        const result: MoveResult = { moved, failed };
        return result;
      } finally {
        await held.stop();
      }
    },
  };
}
