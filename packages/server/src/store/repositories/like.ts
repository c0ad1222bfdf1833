import { sql, type RawBuilder } from 'kysely';

/**
 * Case-insensitive "column contains text" that behaves the same on SQLite and PostgreSQL:
 * wildcards in `text` are escaped and matched literally.
 */
export function containsText(column: string, text: string): RawBuilder<boolean> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

/**
 * "Number column contains text", where `*` in `text` stands for any one digit (Twilio's
 * IncomingPhoneNumbers `PhoneNumber` filter) and SQL wildcards are literal. Without a `+` in
 * `text` the number is matched without its leading `+`, so `*` never stands for it.
 */
export function containsDigitPattern(column: string, text: string): RawBuilder<boolean> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '_')}%`;
  const target = text.includes('+') ? sql.ref(column) : sql`replace(${sql.ref(column)}, '+', '')`;
  return sql<boolean>`${target} like ${pattern} escape '\\'`;
}
