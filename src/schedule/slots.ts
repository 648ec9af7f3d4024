// Slot arithmetic of the periodic sync: each domain's stable offset within the interval and the slot a time falls in.
import { createHash } from 'node:crypto';

/** A stable offset in milliseconds within the interval for this domain (a hash, so domains spread evenly). */
export function domainOffsetMs(domain: string, intervalMs: number): number {
  if (!Number.isInteger(intervalMs) || intervalMs <= 0)
    throw new Error(`intervalMs must be a positive integer (got ${intervalMs})`);
  const digest = createHash('sha256').update(domain.trim().toLowerCase()).digest();
  // 48 bits of the digest: uniform enough for any interval below 2^48 ms.
  return digest.readUIntBE(0, 6) % intervalMs;
}

/** The index of the slot that `at` falls in (the latest scheduled time at or before `at`). */
export function slotAt(at: number, intervalMs: number, offsetMs: number): number {
  return Math.floor((at - offsetMs) / intervalMs);
}

/** The scheduled time (ms since epoch) of a slot. */
export function slotTime(slot: number, intervalMs: number, offsetMs: number): number {
  return slot * intervalMs + offsetMs;
}

/** The slot that a scheduled time (e.g. a BullMQ job's millis) belongs to; a late time belongs to the slot it fell in. */
export function slotOfScheduledTime(millis: number, intervalMs: number, offsetMs: number): number {
  return slotAt(millis, intervalMs, offsetMs);
}
