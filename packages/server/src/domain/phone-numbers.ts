/**
 * Phone numbers: the one parser every surface, the engine and the console use, and the
 * classification the phone-numbers API reports (long code, toll-free, short code).
 *
 * Validation follows the SignalWire rule (`+` then 5–17 digits) rather than a numbering-plan
 * database, so test ranges such as +1555… are accepted, as they are by SignalWire. Values are read
 * as given: no spaces, dashes or brackets are removed, so what is stored is what was checked.
 */

const E164 = /^\+[1-9]\d{4,16}$/;
const SHORT_CODE = /^\d{5,6}$/;
/** Passthrough destinations such as 988 / +988 (N11-style and short service numbers). */
const PASSTHROUGH = /^\+?\d{3,4}$/;
/** Whatever else a carrier may put on a message: alphanumeric sender IDs, national-format numbers. */
const OTHER_ADDRESS = /^\+?[0-9A-Za-z]{1,31}$/;
/**
 * A sender ID with more than letters and digits ("DHL Express", "Shop-24", "AT&T"): the characters
 * Twilio's sender IDs may hold, "A-Z, a-z, 0-9, space, hyphen -, plus +, underscore _ and ampersand
 * &", with at least one letter ("This value cannot contain only numbers": twilio-node's
 * AlphaSender), not beginning or ending with a space. Without a letter it is no sender ID, so
 * `+1 555 765` (a number with spaces, or a `+` a query string read as a space) is still refused.
 */
const SENDER_ID = /^(?=.*[A-Za-z])(?! )(?!.* $)[0-9A-Za-z +\-_&]{1,31}$/;

/** North American toll-free area codes. */
const NANP_TOLL_FREE = new Set(['800', '833', '844', '855', '866', '877', '888']);

/** Country (ISO alpha-2) by calling code, for the `country_code` field; longest prefix wins. */
const CALLING_CODES: ReadonlyArray<readonly [string, string]> = [
  ['1', 'US'], ['7', 'RU'], ['20', 'EG'], ['27', 'ZA'], ['30', 'GR'], ['31', 'NL'], ['32', 'BE'], ['33', 'FR'],
  ['34', 'ES'], ['36', 'HU'], ['39', 'IT'], ['40', 'RO'], ['41', 'CH'], ['43', 'AT'], ['44', 'GB'], ['45', 'DK'],
  ['46', 'SE'], ['47', 'NO'], ['48', 'PL'], ['49', 'DE'], ['51', 'PE'], ['52', 'MX'], ['54', 'AR'], ['55', 'BR'],
  ['56', 'CL'], ['57', 'CO'], ['60', 'MY'], ['61', 'AU'], ['62', 'ID'], ['63', 'PH'], ['64', 'NZ'], ['65', 'SG'],
  ['66', 'TH'], ['81', 'JP'], ['82', 'KR'], ['84', 'VN'], ['86', 'CN'], ['90', 'TR'], ['91', 'IN'], ['92', 'PK'],
  ['234', 'NG'], ['254', 'KE'], ['351', 'PT'], ['353', 'IE'], ['358', 'FI'], ['380', 'UA'], ['420', 'CZ'],
  ['852', 'HK'], ['886', 'TW'], ['971', 'AE'], ['972', 'IL'], ['966', 'SA'],
];

const CALLING_CODES_LONGEST_FIRST = [...CALLING_CODES].sort((a, b) => b[0].length - a[0].length);

/** Kind of a number as the phone-numbers API reports it. */
export type NumberType = 'longcode' | 'toll-free' | 'shortcode';

/**
 * What a string is as the address of a message. `e164` and `shortcode` may send and receive;
 * `passthrough` (988, +988) may only be sent to; `other` is only ever found on messages carriers
 * deliver, so it is good for searching, not for sending.
 */
export type AddressKind = 'e164' | 'shortcode' | 'passthrough' | 'other';

/** Read a message address; `undefined` for anything that is not one (or not a string). */
export function parsePhoneNumber(value: unknown): { readonly number: string; readonly kind: AddressKind } | undefined {
  if (typeof value !== 'string') return undefined;
  const kind: AddressKind | undefined = E164.test(value)
    ? 'e164'
    : SHORT_CODE.test(value)
      ? 'shortcode'
      : PASSTHROUGH.test(value)
        ? 'passthrough'
        : OTHER_ADDRESS.test(value) || SENDER_ID.test(value)
          ? 'other'
          : undefined;
  return kind && { number: value, kind };
}

/**
 * Read a destination prefix from configuration (carrier routes, price rules, simulator rules):
 * digits, optionally after `+`, at most 17 — `""` and `"+"` match every number, and a prefix
 * without `+` matches short codes too. Returned as written; `undefined` when it is not one.
 */
export function parseNumberPrefix(value: unknown): string | undefined {
  return typeof value === 'string' && /^\+?\d{0,17}$/.test(value) ? value : undefined;
}

/**
 * Why a prefix `parseNumberPrefix` read can match no destination, or null. Without `+` it matches
 * only destinations without one (short codes, up to 6 digits), so a longer one (an E.164 number
 * copied without its `+`) matched nothing, and its rule or route was silently never used.
 */
export function unmatchablePrefix(prefix: string): string | null {
  return !prefix.startsWith('+') && prefix.length > 6 ? `${prefix} matches no destination: one without + matches only short codes (up to 6 digits); write +${prefix}` : null;
}

/** True for an E.164 number: `+`, a non-zero digit, then 4–16 more digits. */
export function isE164(value: string): boolean {
  return parsePhoneNumber(value)?.kind === 'e164';
}

/** True for a 5–6 digit short code. */
export function isShortCode(value: string): boolean {
  return parsePhoneNumber(value)?.kind === 'shortcode';
}

/** True for a valid message destination: E.164, short code, or a passthrough number like 988. */
export function isValidDestination(value: string): boolean {
  const kind = parsePhoneNumber(value)?.kind;
  return kind !== undefined && kind !== 'other';
}

/** True for a valid sender: an E.164 number or a short code. */
export function isValidSender(value: string): boolean {
  const kind = parsePhoneNumber(value)?.kind;
  return kind === 'e164' || kind === 'shortcode';
}

/** Classify a registrable number; `undefined` when it is neither E.164 nor a short code. */
export function classifyNumber(value: string): { type: NumberType; countryCode: string | null } | undefined {
  const kind = parsePhoneNumber(value)?.kind;
  if (kind === 'shortcode') return { type: 'shortcode', countryCode: null };
  if (kind !== 'e164') return undefined;
  const digits = value.slice(1);
  const type: NumberType = digits.startsWith('1') && NANP_TOLL_FREE.has(digits.slice(1, 4)) ? 'toll-free' : 'longcode';
  const match = CALLING_CODES_LONGEST_FIRST.find(([code]) => digits.startsWith(code));
  return { type, countryCode: match ? match[1] : null };
}

/**
 * The hint for a number refused with a space before its first digit: almost always a `+` sent as is
 * in a form body or a URL (`curl -d To=+1555…`), which both read as a space. Empty for any other value.
 */
export function plusAsSpaceHint(value: unknown): string {
  return typeof value === 'string' && /^ \d/.test(value) ? ` A "+" sent as is in a form body or a URL reads as a space: write it %2B (curl: --data-urlencode).` : '';
}
