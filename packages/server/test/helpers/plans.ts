/**
 * Query plan tests: the statements a store call runs, and their plans (SQLite's EXPLAIN QUERY PLAN,
 * PostgreSQL's EXPLAIN ANALYZE), over a project seeded in batches.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { expect } from 'vitest';
import type { MessageRecord, NewMessage } from '../../src/domain/message.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Database } from '../../src/store/schema.js';
import { messageRow } from './records.js';

/** The statements `work` runs through `db`. */
export async function statementsOf(db: Kysely<Database>, work: () => Promise<unknown>): Promise<CompiledQuery[]> {
  const executor = db.getExecutor();
  const original = executor.executeQuery.bind(executor);
  const seen: CompiledQuery[] = [];
  executor.executeQuery = ((query: CompiledQuery, id: unknown) => {
    seen.push(query);
    return (original as (q: CompiledQuery, i: unknown) => Promise<unknown>)(query, id);
  }) as typeof executor.executeQuery;
  try {
    await work();
  } finally {
    executor.executeQuery = original;
  }
  return seen;
}

/** SQLite: the steps of a statement's plan (EXPLAIN QUERY PLAN), in order. */
export async function sqlitePlan(db: Kysely<Database>, statement: CompiledQuery): Promise<string[]> {
  const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${statement.sql}`, [...statement.parameters]));
  return rows.map((r) => r.detail);
}

interface PlanNode {
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/**
 * PostgreSQL: the most rows any node of the plans of the statements `work` runs handled (returned
 * or filtered out), as run (EXPLAIN ANALYZE, each statement run again), and how many statements it
 * ran. `work` must run one at least.
 */
export async function rowsExamined(db: Kysely<Database>, work: () => Promise<unknown>): Promise<{ most: number; statements: number }> {
  let most = 0;
  const visit = (n: PlanNode) => {
    most = Math.max(most, (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops']);
    for (const c of n.Plans ?? []) visit(c);
  };
  const statements = await statementsOf(db, work);
  expect(statements.length).toBeGreaterThan(0);
  for (const s of statements) {
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${s.sql}`, [...s.parameters]));
    visit(rows[0]!['QUERY PLAN'][0]!.Plan);
  }
  return { most, statements: statements.length };
}

/** PostgreSQL: `rowsExamined`'s most rows. */
export async function mostRowsExamined(db: Kysely<Database>, work: () => Promise<unknown>): Promise<number> {
  return (await rowsExamined(db, work)).most;
}

/** Create project `id` (named `name`) in `store`. */
export async function planProject(store: KyselyStore, id: string, name: string): Promise<void> {
  await store.projects.create({ id, name, signingKey: `PSK_${name.toLowerCase()}`, createdAt: 0 });
}

/** Seed `total` rows, `batch` at a time: `insert(n)` inserts the next `n`. */
export async function seedInBatches(total: number, batch: number, insert: (n: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < total; i += batch) await insert(Math.min(batch, total - i));
}

/** Insert `n` messages of the project (with `overrides`), each with one stored event (delivered); the messages. */
export async function messagesWithEvents(store: KyselyStore, projectId: string, n: number, overrides: Partial<NewMessage> = {}): Promise<MessageRecord[]> {
  const messages = await store.messages.insertMany(Array.from({ length: n }, () => messageRow(projectId, overrides)));
  await store.events.insertMany(messages.map((m) => ({ messageId: m.id, projectId, status: 'delivered' as const, at: 1, errorCode: null, errorMessage: null, detail: null })));
  return messages;
}
