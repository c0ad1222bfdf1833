import type { Kysely } from 'kysely';
import type { SimulatorClockRepository } from '../../domain/ports/store.js';
import type { Database } from '../schema.js';

/** The one row of `simulator_clock`. */
const ROW = 1;

export class KyselySimulatorClockRepository implements SimulatorClockRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(): Promise<number | undefined> {
    const row = await this.db.selectFrom('simulator_clock').select('now_ms').where('id', '=', ROW).executeTakeFirst();
    return row?.now_ms;
  }

  async getOrStart(candidate: number, at: number): Promise<number> {
    const found = await this.get();
    if (found !== undefined) return found;
    await this.db
      .insertInto('simulator_clock')
      .values({ id: ROW, now_ms: candidate, updated_at: at })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return (await this.get())!;
  }

  async advance(ms: number, from: number, at: number): Promise<number> {
    const moved = () =>
      this.db
        .updateTable('simulator_clock')
        .set((eb) => ({ now_ms: eb('now_ms', '+', ms), updated_at: at }))
        .where('id', '=', ROW)
        .returning('now_ms')
        .executeTakeFirst();
    const row = await moved();
    if (row) return row.now_ms;
    await this.getOrStart(from, at);
    return (await moved())!.now_ms;
  }
}
