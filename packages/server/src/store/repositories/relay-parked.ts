import type { Kysely } from 'kysely';
import type { RelayParkedRepository } from '../../domain/ports/store/relay-parked.js';
import { keyPrefixOf } from '../../domain/relay-event-keys.js';
import { relayEventWithoutText } from '../../domain/relay-event-redaction.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';

export class KyselyRelayParkedRepository implements RelayParkedRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async eraseMessageText(projectId: string, messageId: string): Promise<number> {
    // On SQLite only the sessions handed over at a stop are here (relay-resume-store.ts), few; replays erase the text too.
    // Event keys are `<message id>:<state>`; the params are checked for the message id below.
    const keys = `${keyPrefixOf(messageId)}%`;
    // The sessions' rows before their events, in protocol order, as every writer of parked sessions
    // locks them (store/relay-resume-store.ts): a claim deleting one waits, or has taken it.
    const sessions = await this.db
      .selectFrom('relay_parked_sessions')
      .select('protocol')
      .where('project_id', '=', projectId)
      .where('protocol', 'in', (eb) => eb.selectFrom('relay_parked_events').select('protocol').where('key', 'like', keys))
      .orderBy('protocol')
      .$if(this.traits.name === 'postgres', (q) => q.forShare())
      .execute();
    if (sessions.length === 0) return 0;
    const events = await this.db
      .selectFrom('relay_parked_events')
      .select(['seq', 'params'])
      .where('protocol', 'in', sessions.map((s) => s.protocol))
      .where('key', 'like', keys)
      .orderBy('seq')
      .execute();
    let changed = 0;
    for (const e of events) {
      const params = relayEventWithoutText(e.params, messageId);
      if (params === undefined) continue;
      await this.db.updateTable('relay_parked_events').set({ params }).where('seq', '=', e.seq).execute();
      changed++;
    }
    return changed;
  }
}
