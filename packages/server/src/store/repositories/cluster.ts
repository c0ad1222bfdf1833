import type { Kysely, Selectable } from 'kysely';
import type { LeaseRecord, NodeRecord, NodeRole } from '../../domain/cluster.js';
import type { LeaseRepository, NodeRepository } from '../../domain/ports/store.js';
import { num } from '../rows.js';
import type { ClusterNodesTable, Database } from '../schema.js';

export class KyselyLeaseRepository implements LeaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async acquire(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    // One statement, so two nodes racing for a free lease cannot both win: the row lock (PostgreSQL)
    // or the write lock (SQLite) orders them, and the loser's conflict update finds a live lease.
    const row = await this.db
      .insertInto('cluster_leases')
      .values({ name, owner, expires_at: now + ttlMs, acquired_at: now })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet((eb) => ({
            owner: eb.ref('excluded.owner'),
            expires_at: eb.ref('excluded.expires_at'),
            acquired_at: eb.case().when('cluster_leases.owner', '=', owner).then(eb.ref('cluster_leases.acquired_at')).else(eb.ref('excluded.acquired_at')).end(),
          }))
          .where((eb) => eb.or([eb('cluster_leases.owner', '=', owner), eb('cluster_leases.expires_at', '<=', now)])),
      )
      .returning('owner')
      .executeTakeFirst();
    return row?.owner === owner;
  }

  async release(name: string, owner: string): Promise<boolean> {
    const result = await this.db.deleteFrom('cluster_leases').where('name', '=', name).where('owner', '=', owner).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async list(): Promise<LeaseRecord[]> {
    const rows = await this.db.selectFrom('cluster_leases').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, owner: r.owner, expiresAt: num(r.expires_at), acquiredAt: num(r.acquired_at) }));
  }
}

function nodeFromRow(r: Selectable<ClusterNodesTable>): NodeRecord {
  return {
    instanceId: r.instance_id,
    nodeId: r.node_id,
    roles: JSON.parse(r.roles) as NodeRole[],
    url: r.url,
    startedAt: num(r.started_at),
    heartbeatAt: num(r.heartbeat_at),
  };
}

export class KyselyNodeRepository implements NodeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>, now: number): Promise<boolean> {
    const row = await this.db
      .updateTable('cluster_nodes')
      .set({ heartbeat_at: now, roles: JSON.stringify(node.roles), url: node.url })
      .where('instance_id', '=', node.instanceId)
      .returning('instance_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async register(node: Omit<NodeRecord, 'heartbeatAt'>, now: number): Promise<void> {
    await this.db
      .insertInto('cluster_nodes')
      .values({ instance_id: node.instanceId, node_id: node.nodeId, roles: JSON.stringify(node.roles), url: node.url, started_at: node.startedAt, heartbeat_at: now })
      .execute();
  }

  async list(): Promise<NodeRecord[]> {
    const rows = await this.db.selectFrom('cluster_nodes').selectAll().orderBy('started_at').orderBy('instance_id').execute();
    return rows.map(nodeFromRow);
  }

  async takeDead(before: number, predecessorsOf?: { nodeId: string; instanceId: string }): Promise<NodeRecord[]> {
    const rows = await this.db
      .deleteFrom('cluster_nodes')
      .where((eb) => {
        const stale = eb('heartbeat_at', '<', before);
        if (!predecessorsOf) return stale;
        return eb.or([stale, eb.and([eb('node_id', '=', predecessorsOf.nodeId), eb('instance_id', '<>', predecessorsOf.instanceId)])]);
      })
      .returningAll()
      .execute();
    return rows.map(nodeFromRow);
  }

  async markStopped(instanceId: string): Promise<void> {
    await this.db.updateTable('cluster_nodes').set({ heartbeat_at: 0 }).where('instance_id', '=', instanceId).execute();
  }
}
