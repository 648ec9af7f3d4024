// A small OData query grammar: parses $filter (eq, ne, in, startsWith, endsWith, and, or, not) and $select.

export type Literal = string | boolean | null;

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'cmp'; op: 'eq' | 'ne'; prop: string; value: Literal }
  | { kind: 'in'; prop: string; values: Literal[] }
  | { kind: 'fn'; fn: 'startsWith' | 'endsWith'; prop: string; value: string };

export class ODataSyntaxError extends Error {}

type Token =
  | { t: 'str'; v: string }
  | { t: 'id'; v: string }
  | { t: '('; v: '(' }
  | { t: ')'; v: ')' }
  | { t: ','; v: ',' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      out.push({ t: ch, v: ch } as Token);
      i++;
    } else if (ch === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ODataSyntaxError(`Unterminated string literal at position ${i}.`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += src[i];
        i++;
      }
      out.push({ t: 'str', v });
    } else if (/[A-Za-z0-9_.$/-]/.test(ch)) {
      let v = '';
      while (i < src.length && /[A-Za-z0-9_.$/-]/.test(src[i]!)) v += src[i++];
      out.push({ t: 'id', v });
    } else {
      throw new ODataSyntaxError(`Syntax error: character '${ch}' is not valid at position ${i} in '${src}'.`);
    }
  }
  return out;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  parse(): FilterExpr {
    const e = this.or();
    if (this.pos < this.tokens.length) this.fail(`unexpected '${this.tokens[this.pos]!.v}'`);
    return e;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) this.fail('unexpected end of expression');
    return t!;
  }
  private fail(msg: string): never {
    throw new ODataSyntaxError(`Syntax error: ${msg} in '${this.src}'.`);
  }
  private keyword(word: string): boolean {
    const t = this.peek();
    if (t?.t === 'id' && t.v.toLowerCase() === word) {
      this.pos++;
      return true;
    }
    return false;
  }
  private expect(t: Token['t']): void {
    const got = this.next();
    if (got.t !== t) this.fail(`expected '${t}' but found '${got.v}'`);
  }

  private or(): FilterExpr {
    let left = this.and();
    while (this.keyword('or')) left = { kind: 'or', left, right: this.and() };
    return left;
  }
  private and(): FilterExpr {
    let left = this.unary();
    while (this.keyword('and')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }
  private unary(): FilterExpr {
    if (this.keyword('not')) return { kind: 'not', expr: this.unary() };
    const t = this.peek();
    if (t?.t === '(') {
      this.pos++;
      const e = this.or();
      this.expect(')');
      return e;
    }
    return this.primary();
  }
  private literal(): Literal {
    const t = this.next();
    if (t.t === 'str') return t.v;
    if (t.t === 'id') {
      const w = t.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
    }
    return this.fail(`expected a literal but found '${t.v}'`);
  }
  private primary(): FilterExpr {
    const t = this.next();
    if (t.t !== 'id') return this.fail(`unexpected '${t.v}'`);
    const fn = t.v.toLowerCase();
    if ((fn === 'startswith' || fn === 'endswith') && this.peek()?.t === '(') {
      this.pos++;
      const p = this.next();
      if (p.t !== 'id') this.fail(`expected a property name in ${t.v}()`);
      this.expect(',');
      const v = this.literal();
      if (typeof v !== 'string') this.fail(`${t.v}() needs a string literal`);
      this.expect(')');
      return { kind: 'fn', fn: fn === 'startswith' ? 'startsWith' : 'endsWith', prop: p.v, value: v as string };
    }
    const prop = t.v;
    const op = this.next();
    const opName = op.t === 'id' ? op.v.toLowerCase() : '';
    if (opName === 'eq' || opName === 'ne') return { kind: 'cmp', op: opName, prop, value: this.literal() };
    if (opName === 'in') {
      this.expect('(');
      const values: Literal[] = [this.literal()];
      while (this.peek()?.t === ',') {
        this.pos++;
        values.push(this.literal());
      }
      this.expect(')');
      return { kind: 'in', prop, values };
    }
    return this.fail(`unsupported operator '${op.v}'`);
  }
}

/** Parses a $filter expression; throws ODataSyntaxError with a message in Graph's wording. */
export function parseFilter(src: string): FilterExpr {
  return new Parser(tokenize(src), src).parse();
}

/** Parses $select into property names (trimmed, no empties). */
export function parseSelect(src: string): string[] {
  return src
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Every (operator, property) pair used in a filter, for support checks. */
export function filterTerms(e: FilterExpr, out: { op: string; prop: string }[] = []): { op: string; prop: string }[] {
  switch (e.kind) {
    case 'and':
    case 'or':
      filterTerms(e.left, out);
      filterTerms(e.right, out);
      break;
    case 'not':
      out.push({ op: 'not', prop: '' });
      filterTerms(e.expr, out);
      break;
    case 'cmp':
      out.push({ op: e.op, prop: e.prop });
      break;
    case 'in':
      out.push({ op: 'in', prop: e.prop });
      break;
    case 'fn':
      out.push({ op: e.fn, prop: e.prop });
      break;
  }
  return out;
}

/** Evaluates a filter against an object's properties (string comparisons are case-insensitive, as Graph's are). */
export function evaluateFilter(e: FilterExpr, get: (prop: string) => unknown): boolean {
  switch (e.kind) {
    case 'and':
      return evaluateFilter(e.left, get) && evaluateFilter(e.right, get);
    case 'or':
      return evaluateFilter(e.left, get) || evaluateFilter(e.right, get);
    case 'not':
      return !evaluateFilter(e.expr, get);
    case 'cmp': {
      const eq = same(get(e.prop), e.value);
      return e.op === 'eq' ? eq : !eq;
    }
    case 'in': {
      const v = get(e.prop);
      return e.values.some((x) => same(v, x));
    }
    case 'fn': {
      const v = get(e.prop);
      if (typeof v !== 'string') return false;
      const a = v.toLowerCase();
      const b = e.value.toLowerCase();
      return e.fn === 'startsWith' ? a.startsWith(b) : a.endsWith(b);
    }
  }
}

function same(a: unknown, b: Literal): boolean {
  if (b === null) return a === null || a === undefined;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}
