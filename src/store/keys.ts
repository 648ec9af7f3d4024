// Key helpers: keep every stored key short enough for the SQL backends (VARCHAR(255)) whatever the input.
import { createHash } from 'node:crypto';

/** The part as is when short and free of separators, else a sha256 digest of it. */
export function keyPart(part: string, max = 120): string {
  if (part.length <= max && !part.includes(':')) return part;
  return `h-${createHash('sha256').update(part).digest('base64url')}`;
}

/** Splits items into arrays of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
