// The one rule set for domain names (typed in chat or on the CLI, configured, or the part of a UPN after "@"). Pure.
//
// Normalising: surrounding blanks go, one leading "@" goes (admins paste "@contoso.co.jp"), one trailing "." goes
// (the fully qualified DNS form names the same domain), and letters become lower case (DNS names are
// case-insensitive, RFC 4343; Entra lists its domains in lower case).
// Validating: at least two labels; each label 1–63 letters, digits or hyphens, not starting or ending with a
// hyphen (RFC 1123 §2.1); at most 253 characters in all.
// Internationalised names: ASCII only. A Unicode name ("例え.jp") is refused; its A-label form
// ("xn--r8jz45g.jp") is accepted as it is, since that is the form a DNS TXT/MX record and Graph's `domain.id` use.
// No Unicode-to-punycode conversion is done here: two spellings of one domain must not both reach the store.

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_LENGTH = 253;

/**
 * The lookup form of `raw`, without validating it: trimmed, one leading "@" and one trailing "." removed, lower
 * case. For names that only select something (settings, a conversation's destination, a directory's users): a
 * name that is not a domain gives a key that matches nothing, and the caller's "not configured" answer applies.
 */
export function normaliseDomain(raw: string): string {
  return raw.trim().replace(/^@/, '').replace(/\.$/, '').toLowerCase();
}

/** True when `name` (already in lookup form) is a DNS domain name by the rules above. */
export function isDomainName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_LENGTH) return false;
  const labels = name.split('.');
  return labels.length >= 2 && labels.every((label) => LABEL.test(label));
}

/** The normalised domain name, or null when `raw` is missing or is not a domain name. */
export function parseDomainName(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const name = normaliseDomain(raw);
  return isDomainName(name) ? name : null;
}

/** The normalised domain name; throws `<field>: "<raw>" is not a domain name` when it is not one. */
export function requireDomainName(raw: string, field = 'domain'): string {
  const name = parseDomainName(raw);
  if (name === null) throw new Error(`${field}: "${raw}" is not a domain name`);
  return name;
}
