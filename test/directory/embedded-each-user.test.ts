// The embedded directory hands a domain's users over chunk by chunk, and starts again when the domain is replaced.
import type Keyv from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedDirectory } from '../../src/directory/embedded-directory.js';
import { openStore, type Stores } from '../../src/store/index.js';
import type { SourceUser } from '../../src/sync/model.js';

const DOMAIN = 'contoso.co.jp';
const user = (n: number, version = 1): SourceUser => ({
  userPrincipalName: `user.${n}@${DOMAIN}`,
  immutableId: `aWQ${n}`,
  displayName: `User ${n} v${version}`,
});

describe('EmbeddedDirectory.eachUser', () => {
  let stores: Stores;
  beforeEach(async () => {
    stores = await openStore('memory://');
  });
  afterEach(async () => {
    await stores.close();
  });

  it('hands the users over one stored chunk at a time, the same users listUsers returns', async () => {
    const directory = new EmbeddedDirectory(stores.kv('directory'), { chunkSize: 2 });
    const users = [1, 2, 3, 4, 5].map((n) => user(n));
    await directory.replaceDomain(DOMAIN, users);
    const parts: SourceUser[][] = [];
    let restarts = 0;
    await directory.eachUser(
      DOMAIN,
      (part) => parts.push([...part]),
      () => restarts++,
    );
    expect(parts.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(parts.flat()).toEqual(await directory.listUsers(DOMAIN));
    expect(restarts).toBe(0);
  });

  it('calls restart and hands over the new version from its start when the domain is replaced mid-read', async () => {
    const kv = stores.kv('directory');
    const writer = new EmbeddedDirectory(kv, { chunkSize: 2 });
    await writer.replaceDomain(
      DOMAIN,
      [1, 2, 3, 4].map((n) => user(n)),
    );
    const replaced = [1, 2, 3, 4, 5].map((n) => user(n, 2));
    let replacedOnce = false;
    // The second chunk's read finds the domain replaced (its old chunks are gone).
    const racing = new Proxy(kv, {
      get(target, prop, receiver) {
        if (prop !== 'get') return Reflect.get(target, prop, receiver);
        return async (key: string) => {
          if (!replacedOnce && key === `users:${DOMAIN}:1:1`) {
            replacedOnce = true;
            await writer.replaceDomain(DOMAIN, replaced);
          }
          return target.get(key);
        };
      },
    }) as Keyv<unknown>;
    let seen: SourceUser[] = [];
    let restarts = 0;
    await new EmbeddedDirectory(racing, { chunkSize: 2 }).eachUser(
      DOMAIN,
      (part) => seen.push(...part),
      () => {
        restarts++;
        seen = [];
      },
    );
    expect(replacedOnce).toBe(true);
    expect(restarts).toBe(1);
    expect(seen).toEqual(replaced);
  });

  it('hands nothing over for a domain it does not hold', async () => {
    const directory = new EmbeddedDirectory(stores.kv('directory'));
    const parts: unknown[] = [];
    await directory.eachUser(
      'unknown.co.jp',
      (p) => parts.push(p),
      () => parts.push('restart'),
    );
    expect(parts).toEqual([]);
  });
});
