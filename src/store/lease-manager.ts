// One writer per domain: leases with an expiry over the backend's atomic lock table; the answer says who holds it.
import { randomUUID } from 'node:crypto';
import type { LeaseAnswer, LeaseHandle, LeaseManager } from '../sync/ports.js';
import type { LockTable } from './backend.js';

/** Cell value = `<token> <holder>`: the token makes each acquisition unique even when two callers share a holder name. */
const holderOf = (value: string) => value.slice(value.indexOf(' ') + 1);

export class StoreLeaseManager implements LeaseManager {
  constructor(private readonly locks: LockTable) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<LeaseAnswer> {
    if (!(ttlMs > 0)) throw new Error(`lease ttlMs must be positive (got ${ttlMs})`);
    const cell = `lease:${name}`;
    const value = `${randomUUID()} ${holder}`;
    const answer = await this.locks.tryAcquire(cell, value, ttlMs, false);
    if (!answer.ok) return { acquired: false, heldBy: holderOf(answer.current), expiresInMs: answer.ttlMs };
    const locks = this.locks;
    let released = false;
    const lease: LeaseHandle = {
      holder,
      async renew() {
        if (released) return false;
        return locks.renew(cell, value, ttlMs);
      },
      async release() {
        if (released) return;
        released = true;
        await locks.release(cell, value);
      },
    };
    return { acquired: true, lease };
  }
}
