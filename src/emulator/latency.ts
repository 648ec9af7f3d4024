// Per-method response latency: none by default, a "realistic" profile (~120 ms reads, ~250 ms writes), or custom.

export type LatencySetting = 'none' | 'realistic' | { read: number; write: number };

export class Latency {
  private read = 0;
  private write = 0;

  constructor(setting: LatencySetting = 'none') {
    this.set(setting);
  }

  /** Returns a problem message, or null when applied. */
  set(setting: unknown): string | null {
    if (setting === 'none') [this.read, this.write] = [0, 0];
    else if (setting === 'realistic') [this.read, this.write] = [120, 250];
    else if (
      typeof setting === 'object' &&
      setting !== null &&
      typeof (setting as { read?: unknown }).read === 'number' &&
      typeof (setting as { write?: unknown }).write === 'number' &&
      (setting as { read: number }).read >= 0 &&
      (setting as { write: number }).write >= 0
    ) {
      this.read = (setting as { read: number }).read;
      this.write = (setting as { write: number }).write;
    } else return 'latency: must be "none", "realistic" or { "read": ms, "write": ms }';
    return null;
  }

  current(): { read: number; write: number } {
    return { read: this.read, write: this.write };
  }

  /** Milliseconds to wait before answering a request that reads (or writes). */
  delayFor(isWrite: boolean): number {
    return isWrite ? this.write : this.read;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
