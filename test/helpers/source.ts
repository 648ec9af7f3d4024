// A source directory for tests made from one listing function: eachUser hands its users over as one part.
import type { SourceUser } from '../../src/sync/model.js';
import type { SourceDirectory } from '../../src/sync/ports.js';

export function listedSource(listUsers: (domain: string) => Promise<SourceUser[]>): SourceDirectory {
  return { listUsers, eachUser: async (domain, onUsers) => onUsers(await listUsers(domain)) };
}
