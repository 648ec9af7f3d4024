// Deterministic JSON: object keys sorted (UTF-16 code-unit order), undefined members dropped, written in chunks to a sink.

/** Receives the canonical text piece by piece (e.g. a hash's update). */
export type TextSink = (text: string) => void;

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function scalar(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode the number ${value}`);
      return JSON.stringify(value);
    case 'object':
      if (value instanceof Set || value instanceof Map)
        throw new TypeError('canonical JSON cannot encode a Set or Map');
      return undefined;
    default:
      throw new TypeError(`canonical JSON cannot encode a value of type ${typeof value}`);
  }
}

const definedKeys = (record: Record<string, unknown>): string[] =>
  Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort(compareKeys);

/** Keys' JSON encodings: a plan repeats the same few dozen keys hundreds of thousands of times. */
const keyTexts = new Map<string, string>();
function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (keyTexts.size < 4096) keyTexts.set(key, text);
  }
  return text;
}

/** Canonical JSON of `value` as one string (use writeCanonicalJson for very large values). */
export function canonicalJson(value: unknown): string {
  const s = scalar(value);
  if (s !== undefined) return s;
  if (Array.isArray(value)) {
    // Like JSON.stringify: an undefined array item is written as null.
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (i > 0) out += ',';
      out += canonicalJson(item === undefined ? null : item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Object.keys gives strings, whose default sort order is UTF-16 code-unit order (compareKeys').
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const member = record[k];
    if (member === undefined) continue;
    out += first ? keyText(k) : `,${keyText(k)}`;
    first = false;
    out += canonicalJson(member);
  }
  return `${out}}`;
}

/**
 * Writes `value` as canonical JSON to `sink`; the concatenated pieces equal `canonicalJson(value)`.
 * Objects are walked member by member and arrays item by item, so a plan with a million changes is written as a
 * million small pieces, never as one string.
 */
export function writeCanonicalJson(value: unknown, sink: TextSink): void {
  const s = scalar(value);
  if (s !== undefined) {
    sink(s);
    return;
  }
  if (Array.isArray(value)) {
    sink('[');
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      sink((i > 0 ? ',' : '') + canonicalJson(item === undefined ? null : item));
    }
    sink(']');
    return;
  }
  const record = value as Record<string, unknown>;
  sink('{');
  let first = true;
  for (const key of definedKeys(record)) {
    sink(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    writeCanonicalJson(record[key], sink);
  }
  sink('}');
}

/**
 * Writes `record` with one more member, `key`, an array whose items arrive in chunks (a stored plan's changes): the
 * pieces equal writeCanonicalJson of the record with that array in it, and no more than one chunk is held at a time.
 */
export async function writeCanonicalJsonStreaming(
  record: Record<string, unknown>,
  key: string,
  chunks: AsyncIterable<readonly unknown[]>,
  sink: TextSink,
): Promise<void> {
  const keys = [...definedKeys(record).filter((k) => k !== key), key].sort(compareKeys);
  sink('{');
  for (const [i, k] of keys.entries()) {
    sink(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
    if (k !== key) {
      writeCanonicalJson(record[k], sink);
      continue;
    }
    sink('[');
    let first = true;
    for await (const chunk of chunks) {
      for (const item of chunk) {
        sink((first ? '' : ',') + canonicalJson(item === undefined ? null : item));
        first = false;
      }
    }
    sink(']');
  }
  sink('}');
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
