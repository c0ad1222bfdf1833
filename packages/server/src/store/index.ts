export { KyselyStore } from './kysely-store.js';
export { openSqliteStore, type SqliteStoreOptions } from './dialects/sqlite.js';
export { openPostgresStore, isPostgresUrl, type PostgresStoreOptions } from './dialects/postgres.js';
