import type { ErrorDetail } from '@switchboard/protocol';
import { detail } from './app-error.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = /^(signalwire_|sw_|rtc_|internal_)/i;
const MAX_VARIABLES = 20;
const MAX_VALUE_BYTES = 1024;

/**
 * Check native `custom_variables`: an object of at most 20 string pairs, names matching
 * `^[A-Za-z_][A-Za-z0-9_]*$` without reserved prefixes, values non-empty and ≤1024 bytes. Past 20,
 * only the first 20 are checked besides, so a body of thousands of bad names is one short answer,
 * not an entry for each. `__proto__` is a name like any other (an own property of the result).
 */
export function validateCustomVariables(value: unknown): { value: Record<string, string> | null; errors: ErrorDetail[] } {
  if (value === undefined || value === null) return { value: null, errors: [] };
  if (typeof value !== 'object' || Array.isArray(value)) return { value: null, errors: [detail('CUSTOM_VARIABLES_NOT_OBJECT')] };
  const entries = Object.entries(value as Record<string, unknown>);
  const errors: ErrorDetail[] = [];
  if (entries.length > MAX_VARIABLES) errors.push(detail('TOO_MANY_CUSTOM_VARIABLES'));
  const out: Array<[string, string]> = [];
  for (const [name, v] of entries.slice(0, MAX_VARIABLES)) {
    if (!NAME.test(name)) {
      errors.push(detail('CUSTOM_VARIABLE_NAME_INVALID', { message: `Custom variable name "${name}" must match ^[A-Za-z_][A-Za-z0-9_]*$.` }));
      continue;
    }
    if (RESERVED.test(name)) {
      errors.push(detail('CUSTOM_VARIABLE_NAME_RESERVED', { message: `Custom variable name "${name}" uses a reserved prefix.` }));
      continue;
    }
    if (typeof v !== 'string' || v.length === 0) {
      errors.push(detail('CUSTOM_VARIABLE_VALUE_INVALID', { message: `Custom variable "${name}" must be a non-empty string.` }));
      continue;
    }
    if (Buffer.byteLength(v, 'utf8') > MAX_VALUE_BYTES) {
      errors.push(detail('CUSTOM_VARIABLE_VALUE_TOO_LONG', { message: `Custom variable "${name}" is longer than 1024 bytes.` }));
      continue;
    }
    out.push([name, v]);
  }
  // Not `out[name] = v`: assigning "__proto__" would set the prototype and drop the variable.
  return { value: errors.length ? null : Object.fromEntries(out), errors };
}
