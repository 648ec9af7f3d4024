// Polls a condition until it holds, failing with what was awaited when it does not within the time given.

/** Resolves once `check` is true; throws "timed out waiting for <what>" after `ms` milliseconds. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 60_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
