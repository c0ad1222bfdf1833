/**
 * Carrier message ids, normalised per connector so the id in `submit_sm_resp` and the one in a
 * receipt meet even when the SMSC writes them differently: hex in one place and decimal in the
 * other, upper or lower case, with or without leading zeros (field notes: Jasmin's DLR-id mismatches).
 */

/** How an SMSC writes ids in one place. */
export type IdFormat = 'text' | 'hex' | 'decimal';

/** The longest id SMPP allows (message_id is a C-Octet string of 65). */
const MAX_ID = 64;

/**
 * The canonical form of an id: numbers (hex or decimal) become their decimal value, so `0x1F`,
 * `001f` as hex and `31` as decimal all meet; text is trimmed, lower-cased and stripped of
 * leading zeros. Returns null for an empty or over-long id, or one that is not in its format.
 */
export function normaliseId(raw: string, format: IdFormat): string | null {
  const id = raw.trim();
  if (id === '' || id.length > MAX_ID) return null;
  switch (format) {
    case 'hex': {
      const digits = id.replace(/^0x/i, '');
      if (!/^[0-9a-f]+$/i.test(digits)) return null;
      return BigInt(`0x${digits}`).toString(10);
    }
    case 'decimal':
      if (!/^\d+$/.test(id)) return null;
      return BigInt(id).toString(10);
    case 'text': {
      const lower = id.toLowerCase();
      const stripped = lower.replace(/^0+/, '');
      return stripped === '' ? '0' : stripped;
    }
  }
}

/** An id in the form the SMSC writes it in `format`, rebuilt from its canonical form (hex ids in upper case). */
export function idAsWritten(canonical: string, format: IdFormat): string {
  return format === 'hex' ? BigInt(canonical).toString(16).toUpperCase() : canonical;
}
