/**
 * The few column types that differ between SQLite and PostgreSQL, so each migration is written
 * once for both dialects.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

export interface ColumnTypes {
  /** Auto-assigned 64-bit integer primary key (SQLite rowid alias, PostgreSQL identity). */
  serialPrimaryKey<T extends string, C extends string>(table: CreateTableBuilder<T, C>, name: string): CreateTableBuilder<T, C>;
  /** Milliseconds since the epoch. */
  readonly millis: 'integer' | 'bigint';
  readonly bytes: 'blob' | 'bytea';
  readonly double: 'real' | 'double precision';
}

export function columnTypes(dialect: StoreDialect): ColumnTypes {
  if (dialect === 'sqlite') {
    return {
      serialPrimaryKey: (table, name) => table.addColumn(name, 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey()),
      millis: 'integer',
      bytes: 'blob',
      double: 'real',
    };
  }
  return {
    serialPrimaryKey: (table, name) => table.addColumn(name, 'bigint', (c: ColumnDefinitionBuilder) => c.primaryKey().generatedAlwaysAsIdentity()),
    millis: 'bigint',
    bytes: 'bytea',
    double: 'double precision',
  };
}
