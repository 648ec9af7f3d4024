// Graph's write budget and what its `x-ms-throttle-limit-percentage` header says is left of it.

/**
 * A write budget as Graph documents it. Identity and access service limits, per app and tenant: 3,000 writes per
 * 2 minutes 30 seconds (https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-service-limits).
 */
export interface WriteBudget {
  readonly writes: number;
  readonly windowMs: number;
}

export const GRAPH_WRITE_BUDGET: WriteBudget = { writes: 3000, windowMs: 150_000 };

/**
 * Graph sends `x-ms-throttle-limit-percentage` only once more than 0.8 of a limit is used; its value (0.8–1.8) is
 * the share of the limit in use (same page, "Identity and access service limits"). A response without it therefore
 * says at least 20 % of the budget is left.
 */
const HEADER_FLOOR = 0.8;

/** Bounds of the spare writes one `x-ms-throttle-limit-percentage` value (or its absence) implies. */
export function spareFromHeader(raw: string | null, capacity: number): { low: number; high: number } {
  if (raw === null) return { low: (1 - HEADER_FLOOR) * capacity, high: capacity };
  const text = raw.trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) return { low: 0, high: capacity };
  const percent = n > 2;
  const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  // A value given to d decimals may be off by half a unit of its last digit.
  const halfUnit = (0.5 * 10 ** -decimals) / (percent ? 100 : 1);
  const used = percent ? n / 100 : n;
  return {
    low: Math.max(0, (1 - used - halfUnit) * capacity),
    high: Math.max(0, Math.min(capacity, (1 - used + halfUnit) * capacity)),
  };
}
