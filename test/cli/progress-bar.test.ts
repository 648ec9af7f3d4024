// The CLI progress bar: drawn on a terminal with done / total and time left, silent without a terminal or with --json.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalProgress } from '../../src/cli/progress-bar.js';

function fakeStream(isTTY: boolean) {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 120 });
  return { stream, text: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('terminalProgress', () => {
  it('on a terminal: one bar per phase with done / total and the time left, cleared at the end', async () => {
    const { stream, text } = fakeStream(true);
    const progress = terminalProgress({ stream });
    progress({ phase: 'reading-source', done: 0, total: 0 });
    progress({ phase: 'reading-source', done: 1200, total: 0 });
    await sleep(120);
    progress({ phase: 'writing', done: 0, total: 5000 });
    for (let done = 250; done <= 1250; done += 250) {
      await sleep(30);
      progress({ phase: 'writing', done, total: 5000 });
    }
    await sleep(120);
    progress({ phase: 'writing', done: 1250, total: 5000 });
    const drawn = text();
    expect(drawn).toContain('Reading Access Control… 0');
    expect(drawn).toMatch(/Writing to Entra ID [█░]{30} 1,250 \/ 5,000 · \d+s left/);
    progress({ phase: 'done', done: 5000, total: 5000 });
    progress.end();
    // The cursor is shown again and the last line cleared, so the command's own output starts on a clean line.
    expect(text().slice(text().lastIndexOf('1,250 / 5,000'))).toContain('\x1B[?25h');
  });

  it('draws nothing when stderr is not a terminal, or with --json', () => {
    for (const [tty, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const { stream, text } = fakeStream(tty);
      const progress = terminalProgress({ stream, json });
      progress({ phase: 'writing', done: 10, total: 100 });
      progress({ phase: 'done', done: 100, total: 100 });
      progress.end();
      expect(text()).toBe('');
    }
  });
});
