import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * Stored webhook URLs as a URL parser reads them. A number's `message_request_url` and
 * `message_fallback_url` and a cXML application's `sms_url`, `sms_fallback_url` and
 * `sms_status_callback` are refused with spaces or control characters around them, or a tab or line
 * break in them; earlier versions stored such values as given. They were used as a URL parser
 * reads them (WHATWG URL: those around dropped, tabs and line breaks in it removed), but a client
 * that read one and wrote the whole record back was refused. Each becomes what was used; one
 * that was nothing but such characters becomes null (no URL, as an empty one was). Nothing else
 * of the row changes (`updated_at` neither: no one edited it).
 */
const COLUMNS = {
  phone_numbers: ['message_request_url', 'message_fallback_url'],
  cxml_applications: ['sms_url', 'sms_fallback_url', 'sms_status_callback'],
} as const;

/** Rows read at a time. */
const BATCH = 1000;

/** The URL a parser makes of the value: C0 controls and spaces around it dropped, tabs and line breaks in it removed. */
export function urlAsParsed(value: string): string | null {
  // eslint-disable-next-line no-control-regex
  const out = value.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
  return out === '' ? null : out;
}

async function trimTable(db: Kysely<unknown>, table: keyof typeof COLUMNS): Promise<void> {
  const columns = COLUMNS[table];
  let after = -1;
  for (;;) {
    const rows = (
      await sql<Record<string, unknown>>`select seq, id, ${sql.join(columns.map((c) => sql.ref(c)))} from ${sql.table(table)} where seq > ${after} order by seq limit ${BATCH}`.execute(db)
    ).rows;
    for (const row of rows) {
      const changes: Array<[string, string | null]> = [];
      for (const column of columns) {
        const value = row[column];
        if (typeof value !== 'string') continue;
        const parsed = urlAsParsed(value);
        if (parsed !== value) changes.push([column, parsed]);
      }
      if (changes.length === 0) continue;
      const sets = sql.join(changes.map(([column, value]) => sql`${sql.ref(column)} = ${value}`));
      await sql`update ${sql.table(table)} set ${sets} where id = ${row.id}`.execute(db);
    }
    if (rows.length < BATCH) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

export function trimmedUrlsSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await trimTable(db, 'phone_numbers');
      await trimTable(db, 'cxml_applications');
    },
    // The values as given are not kept: nothing to restore.
    async down(): Promise<void> {},
  };
}
