// Makes a value from the directory (names, UPNs, Graph messages) safe to print on a terminal, one line per value.

/**
 * C0/C1 control characters (ESC, BEL, CR, LF, …) and bidi overrides become one space, so that a display name cannot
 * move the cursor, rewrite earlier lines, ring the bell or reorder what the administrator reads.
 */
export const terminalText = (v: string | null | undefined): string =>
  (v ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
