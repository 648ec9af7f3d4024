// Counters the control API exposes: requests by method/path/status, throttled requests, writes, users examined.

export class Stats {
  requests: Record<string, number> = {};
  writes = 0;
  batchItems = 0;
  tokensIssued = 0;

  /** Counts one request under "METHOD /path-template STATUS" (ids replaced by {id}). */
  record(method: string, path: string, status: number): void {
    const key = `${method} ${template(path)} ${status}`;
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }

  total(predicate: (method: string, path: string, status: number) => boolean = () => true): number {
    let n = 0;
    for (const [k, v] of Object.entries(this.requests)) {
      const [m, p, s] = k.split(' ');
      if (predicate(m!, p!, Number(s))) n += v;
    }
    return n;
  }

  clear(): void {
    this.requests = {};
    this.writes = 0;
    this.batchItems = 0;
    this.tokensIssued = 0;
  }
}

function template(path: string): string {
  const p = path.split('?')[0]!;
  return p
    .split('/')
    .map((seg, i, all) => {
      const prev = all[i - 1];
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(seg) || seg.includes('@') || seg.includes('%40')) return '{id}';
      if (
        (prev === 'users' || prev === 'deletedItems' || prev === 'domains' || prev === 'roleDefinitions') &&
        seg !== '$count' &&
        seg !== 'microsoft.graph.user'
      )
        return '{id}';
      return seg;
    })
    .join('/');
}
