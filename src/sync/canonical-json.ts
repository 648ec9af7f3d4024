// Deterministic JSON: object keys sorted (UTF-16 code-unit order), undefined members dropped, written in chunks to a sink.

/** Receives the canonical text piece by piece (e.g. a hash's update). */
export type TextSink = (text: string) => void;

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Writes `value` as canonical JSON to `sink`; the concatenated pieces equal `canonicalJson(value)`. */
export function writeCanonicalJson(value: unknown, sink: TextSink): void {
  if (value === null) {
    sink('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      sink(JSON.stringify(value));
      return;
    case 'boolean':
      sink(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode the number ${value}`);
      sink(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot encode a value of type ${typeof value}`);
  }
  if (Array.isArray(value)) {
    sink('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) sink(',');
      const item = value[i];
      // Like JSON.stringify: an undefined array item is written as null.
      writeCanonicalJson(item === undefined ? null : item, sink);
    }
    sink(']');
    return;
  }
  if (value instanceof Set || value instanceof Map) throw new TypeError('canonical JSON cannot encode a Set or Map');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort(compareKeys);
  sink('{');
  let first = true;
  for (const key of keys) {
    if (!first) sink(',');
    first = false;
    sink(JSON.stringify(key));
    sink(':');
    writeCanonicalJson(record[key], sink);
  }
  sink('}');
}

/** Canonical JSON of `value` as one string (use writeCanonicalJson for very large values). */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonicalJson(value, (t) => parts.push(t));
  return parts.join('');
}

/** A sink that collects small pieces and hands them on in blocks of about `blockSize` characters. */
export function bufferedSink(target: TextSink, blockSize = 64 * 1024): { sink: TextSink; flush: () => void } {
  let buffer = '';
  return {
    sink: (text) => {
      buffer += text;
      if (buffer.length >= blockSize) {
        target(buffer);
        buffer = '';
      }
    },
    flush: () => {
      if (buffer.length > 0) target(buffer);
      buffer = '';
    },
  };
}
