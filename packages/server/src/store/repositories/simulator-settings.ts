import type { Kysely } from 'kysely';
import type { SimulatorSettingsRepository } from '../../domain/ports/store.js';
import { describeOutcomeRule, parseOutcomeRules } from '../../domain/simulator/rules.js';
import { NO_OVERRIDES, type SimulatorOverrides, type SimulatorOverridesPatch } from '../../domain/simulator/tuning.js';
import type { Database, SimulatorSettingsTable } from '../schema.js';
import { num } from '../rows.js';

type Columns = Partial<Pick<SimulatorSettingsTable, 'delay_ms' | 'delayed_receipt_ms' | 'mms_receipts' | 'rules'>>;

function columnsOf(patch: SimulatorOverridesPatch): Columns {
  const c: Columns = {};
  if (patch.delayMs !== undefined) c.delay_ms = patch.delayMs;
  if (patch.delayedReceiptMs !== undefined) c.delayed_receipt_ms = patch.delayedReceiptMs;
  if (patch.mmsReceipts !== undefined) c.mms_receipts = patch.mmsReceipts === null ? null : patch.mmsReceipts ? 1 : 0;
  // Rules are kept in the documented vocabulary, not the in-memory form, so the rows outlive refactors.
  if (patch.rules !== undefined) c.rules = patch.rules === null ? null : JSON.stringify(patch.rules.map(describeOutcomeRule));
  return c;
}

function overridesOf(row: SimulatorSettingsTable): SimulatorOverrides {
  return {
    delayMs: row.delay_ms === null ? null : num(row.delay_ms),
    delayedReceiptMs: row.delayed_receipt_ms === null ? null : num(row.delayed_receipt_ms),
    mmsReceipts: row.mms_receipts === null ? null : num(row.mms_receipts) === 1,
    rules: row.rules === null ? null : parseOutcomeRules(JSON.parse(row.rules)),
  };
}

export class KyselySimulatorSettingsRepository implements SimulatorSettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(projectId: string): Promise<SimulatorOverrides> {
    const row = await this.db.selectFrom('simulator_settings').selectAll().where('project_id', '=', projectId).executeTakeFirst();
    return row ? overridesOf(row) : NO_OVERRIDES;
  }

  async update(projectId: string, patch: SimulatorOverridesPatch, at: number): Promise<SimulatorOverrides> {
    const columns = columnsOf(patch);
    const row = await this.db
      .insertInto('simulator_settings')
      .values({ project_id: projectId, updated_at: at, ...columns })
      .onConflict((oc) => oc.column('project_id').doUpdateSet({ ...columns, updated_at: at }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return overridesOf(row);
  }
}
