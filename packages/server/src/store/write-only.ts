/**
 * The mark of a statement whose result nobody reads: a multi-row INSERT without RETURNING, the
 * DELETE of finished jobs. Inside a transaction the PostgreSQL store holds such a statement and
 * sends it with the next one that needs an answer (or with the COMMIT), in one write, instead of
 * waiting a round trip for each (`dialects/postgres-pipeline.ts`). Its error still fails the
 * transaction, reported by that next statement. A trailing SQL comment, so SQLite and PostgreSQL
 * run the text unchanged.
 */
export const WRITE_ONLY = '/* write-only */';

/** `sqlText` marked as write-only. */
export function writeOnly(sqlText: string): string {
  return `${sqlText} ${WRITE_ONLY}`;
}

export function isWriteOnly(sqlText: string): boolean {
  return sqlText.endsWith(WRITE_ONLY);
}
