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

/** An object shape's members in canonical order: each key and its `"key":` text (`,"key":` after the first). */
interface Shape {
  /** Object.keys of the shape, in the objects' own (insertion) order. */
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly first: readonly string[];
  readonly next: readonly string[];
}

/*
 * A plan's million objects (changes, their attribute changes) come in a few dozen shapes, and Object.keys of objects
 * of one shape gives the same keys (internalized strings) in the same order: the last SHAPES key lists are kept with
 * their sorted order and key texts, so that such an object is written without sorting or encoding its keys again.
 */
const SHAPES = 32;
const shapes: Shape[] = [];
let nextShape = 0;
function shapeOf(record: Record<string, unknown>): Shape {
  const keys = Object.keys(record);
  search: for (let n = 0; n < shapes.length; n++) {
    const known = shapes[n]!.keys;
    if (known.length !== keys.length) continue;
    for (let i = 0; i < keys.length; i++) if (known[i] !== keys[i]) continue search;
    return shapes[n]!;
  }
  // Object.keys gives strings, whose default sort order is UTF-16 code-unit order (compareKeys').
  const sorted = [...keys].sort();
  const first = sorted.map((k) => `${JSON.stringify(k)}:`);
  const shape: Shape = { keys, sorted, first, next: first.map((t) => `,${t}`) };
  if (shapes.length < SHAPES) shapes.push(shape);
  else {
    shapes[nextShape] = shape;
    nextShape = (nextShape + 1) % SHAPES;
  }
  return shape;
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
  const shape = shapeOf(record);
  let out = '{';
  let first = true;
  for (let i = 0; i < shape.sorted.length; i++) {
    const member = record[shape.sorted[i]!];
    if (member === undefined) continue;
    out += first ? shape.first[i] : shape.next[i];
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
