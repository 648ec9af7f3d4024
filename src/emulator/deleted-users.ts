// The emulator's deleted users (Graph's deleted items), by id, listed in id order through Graph's view of a deleted user.
import { evaluateFilter } from './odata.js';
import { SortedKeys } from './sorted-keys.js';
import type { UserData } from './user-schema.js';
import type { ListQuery, ListResult } from './user-store.js';

export class DeletedUsers {
  private byId = new Map<string, UserData>();
  private order = new SortedKeys();

  /** Replaces every deleted user. */
  load(users: readonly UserData[]): void {
    this.byId = new Map(users.map((u) => [u.id, u]));
    this.order = SortedKeys.from(this.byId.keys());
  }

  all(): UserData[] {
    return [...this.byId.values()];
  }

  get(id: string): UserData | undefined {
    return this.byId.get(id);
  }

  add(u: UserData): void {
    this.byId.set(u.id, u);
    this.order.insert(u.id);
  }

  /** Removes and returns a deleted user the caller knows exists (a restore). */
  take(id: string): UserData {
    const d = this.byId.get(id)!;
    this.byId.delete(id);
    this.order.remove(id);
    return d;
  }

  purge(id: string): boolean {
    this.order.remove(id);
    return this.byId.delete(id);
  }

  /**
   * Deleted users, ordered by id, resuming after `after`. `view` is how Graph shows a deleted user (its UPN
   * prefixed with its id): the filter is evaluated on that, as Graph does. `examine` is told of each user looked at.
   */
  list(q: ListQuery, view: (u: UserData) => UserData, examine: () => void): ListResult {
    const items: UserData[] = [];
    let last: string | undefined;
    let hasMore = false;
    let count = 0;
    for (const id of this.order.after(q.after)) {
      const u = view(this.byId.get(id)!);
      examine();
      if (q.filter && !evaluateFilter(q.filter, (p) => u[p as keyof UserData])) continue;
      if (items.length === q.top) {
        hasMore = true;
        break;
      }
      items.push(u);
      last = id;
    }
    const result: ListResult = { items };
    if (hasMore && last !== undefined) result.next = last;
    if (q.count) {
      for (const d of this.byId.values()) {
        const u = view(d);
        if (!q.filter || evaluateFilter(q.filter, (p) => u[p as keyof UserData])) count++;
      }
      result.count = count;
    }
    return result;
  }
}
