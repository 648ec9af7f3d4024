// Per-domain sync settings, one value per domain plus an index of domain names for listing.
import type Keyv from 'keyv';
import type { DomainSettings } from '../sync/model.js';
import type { DomainSettingsRepository } from '../sync/ports.js';
import type { LockTable } from './backend.js';
import { keyPart } from './keys.js';
import { withMutex } from './mutex.js';

const INDEX = 'index';
const norm = (domain: string) => domain.trim().toLowerCase();

export class KeyvDomainSettingsRepository implements DomainSettingsRepository {
  constructor(
    private readonly kv: Keyv<unknown>,
    private readonly locks: LockTable,
  ) {}

  async get(domain: string): Promise<DomainSettings | null> {
    return ((await this.kv.get(`d:${keyPart(norm(domain))}`)) as DomainSettings | undefined) ?? null;
  }

  async list(): Promise<DomainSettings[]> {
    const domains = ((await this.kv.get(INDEX)) as string[] | undefined) ?? [];
    if (domains.length === 0) return [];
    const values = (await this.kv.get(domains.map((d) => `d:${keyPart(d)}`))) as (DomainSettings | undefined)[];
    return values.filter((v): v is DomainSettings => v !== undefined).sort((a, b) => a.domain.localeCompare(b.domain));
  }

  async put(settings: DomainSettings): Promise<void> {
    const domain = norm(settings.domain);
    await this.kv.set(`d:${keyPart(domain)}`, { ...settings, domain });
    await this.updateIndex((set) => set.add(domain));
  }

  async remove(domain: string): Promise<void> {
    const d = norm(domain);
    await this.kv.delete(`d:${keyPart(d)}`);
    await this.updateIndex((set) => set.delete(d));
  }

  private async updateIndex(change: (set: Set<string>) => void): Promise<void> {
    await withMutex(this.locks, 'settings-index', async () => {
      const set = new Set(((await this.kv.get(INDEX)) as string[] | undefined) ?? []);
      const before = set.size;
      change(set);
      if (set.size !== before) await this.kv.set(INDEX, [...set].sort());
    });
  }
}
