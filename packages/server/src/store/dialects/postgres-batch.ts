/**
 * Several statements of one transaction sent to PostgreSQL as one unit: their Parse, Bind, Describe
 * and Execute messages in one write, closed by a single Sync.
 *
 * node-postgres, in pipeline mode, closes every statement with its own Sync. The server then
 * answers each one with a ReadyForQuery and flushes its socket, and a statement that follows one
 * that failed runs on its own. Under one Sync the server runs the statements in order, answers them
 * with one flush, and after an error skips everything up to the Sync: a write sent behind a `BEGIN`
 * that failed is never run, so `BEGIN` no longer needs a round trip of its own before the first write
 * (`postgres-pipeline.ts`).
 *
 * This is a node-postgres `Query` to the client (the client hands it the answers of the messages
 * it sent, and refuses other custom queries on a pipelined connection); it reads those answers
 * statement by statement. Prepared statements are kept as node-postgres keeps them: a name is
 * parsed on a connection once, and is recorded as parsed when the server says so.
 */
import pg from 'pg';
import PgResult from 'pg/lib/result.js';
import pgUtils from 'pg/lib/utils.js';

/** One statement of a batch: its text, its parameters, and the prepared statement's name if it has one. */
export interface BatchStatement {
  readonly text: string;
  readonly values: readonly unknown[] | undefined;
  readonly name: string | undefined;
}

/** The parts of node-postgres's connection a batch writes to (not in its published types). */
interface WireConnection {
  readonly stream: { cork(): void; uncork(): void };
  readonly parsedStatements: Record<string, string | undefined>;
  readonly submittedNamedStatements: Record<string, string | undefined>;
  parse(query: { text: string; name: string }): void;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(config: { portal: string }): void;
  sync(): void;
}

interface RowResult {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown;
  addRow(row: unknown): void;
  addCommandComplete(message: unknown): void;
}

type Types = { getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown };
type Callback = (err: Error | null, results?: pg.QueryResult[]) => void;

const QueryBase = pg.Query as unknown as new (config: object) => object;

export class StatementBatch extends QueryBase {
  callback: Callback | undefined;
  private readonly results: RowResult[];
  /** Which statements this batch sent a Parse for (the first use of a name on this connection). */
  private readonly parsedHere: boolean[];
  /** The statement whose answers arrive now. */
  private at = 0;
  private rowError: Error | undefined;
  private done = false;

  constructor(
    private readonly statements: readonly BatchStatement[],
    types: Types,
    callback: Callback,
  ) {
    super({});
    this.callback = callback;
    this.results = statements.map(() => new PgResult(undefined, types) as RowResult);
    this.parsedHere = statements.map(() => false);
    // The client records a name as parsed at ParseComplete, and forgets it at an error, by reading
    // the active query's name and text: here, those of the statement being answered, if this batch parsed it.
    Object.defineProperty(this, 'name', { get: () => (this.parsedHere[this.at] ? this.statements[this.at]!.name : undefined) });
    Object.defineProperty(this, 'text', { get: () => this.statements[this.at]?.text });
  }

  submit(connection: WireConnection): Error | null {
    // Everything that can fail is checked before the first byte is written: a batch is sent whole or not at all.
    const values: unknown[][] = [];
    for (const s of this.statements) {
      const previous = s.name === undefined ? undefined : (connection.parsedStatements[s.name] ?? connection.submittedNamedStatements[s.name]);
      if (previous !== undefined && previous !== s.text) return new Error(`Prepared statements must be unique - '${s.name}' was used for a different statement`);
      try {
        values.push(s.values ? s.values.map((v) => pgUtils.prepareValue(v)) : []);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }
    connection.stream.cork();
    try {
      this.statements.forEach((s, i) => {
        const name = s.name ?? '';
        if (name === '' || (connection.parsedStatements[name] === undefined && connection.submittedNamedStatements[name] === undefined)) {
          connection.parse({ text: s.text, name });
          if (name !== '') {
            connection.submittedNamedStatements[name] = s.text;
            this.parsedHere[i] = true;
          }
        }
        connection.bind({ portal: '', statement: name, values: values[i]! });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      });
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return null;
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.results[this.at]?.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    const result = this.results[this.at];
    if (this.rowError || !result) return;
    try {
      result.addRow(result.parseRow(message.fields));
    } catch (err) {
      this.rowError = err instanceof Error ? err : new Error(String(err));
    }
  }

  handleCommandComplete(message: unknown): void {
    this.results[this.at]?.addCommandComplete(message);
    this.at++;
  }

  handleEmptyQuery(): void {
    this.at++;
  }

  handlePortalSuspended(): void {
    // Never asked for: every statement runs to its end.
  }

  handleError(err: Error, connection?: WireConnection): void {
    // The statements after the failed one were skipped: names they would have parsed were not.
    if (connection) {
      for (let i = this.at; i < this.statements.length; i++) {
        const name = this.statements[i]!.name;
        if (this.parsedHere[i] && name !== undefined) delete connection.submittedNamedStatements[name];
      }
    }
    this.finish(err);
  }

  handleReadyForQuery(): void {
    this.finish(this.rowError ?? null);
  }

  private finish(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    const callback = this.callback;
    if (!callback) return;
    if (err) callback(err);
    else callback(null, this.results as unknown as pg.QueryResult[]);
  }
}

/** Send `statements` on `client` under one Sync; `callback` gets their results in order, or the first error. */
export function sendBatch(client: pg.ClientBase, statements: readonly BatchStatement[], types: Types, callback: Callback): void {
  client.query(new StatementBatch(statements, types, callback) as unknown as pg.QueryConfig);
}

/** `sendBatch` as a promise. */
export function runBatch(client: pg.ClientBase, statements: readonly BatchStatement[], types: Types): Promise<pg.QueryResult[]> {
  return new Promise((resolve, reject) => sendBatch(client, statements, types, (err, results) => (err ? reject(err) : resolve(results!))));
}
