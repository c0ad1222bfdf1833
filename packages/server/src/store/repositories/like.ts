import { sql, type RawBuilder } from 'kysely';

/**
 * Case-insensitive "column contains text" that behaves the same on SQLite and PostgreSQL:
 * wildcards in `text` are escaped and matched literally.
 */
export function containsText(column: string, text: string): RawBuilder<boolean> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
