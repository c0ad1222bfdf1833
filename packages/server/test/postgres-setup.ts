/**
 * Vitest global setup for PostgreSQL: one migrated template database per run, which test
 * databases copy (helpers/postgres.ts), and at the end the removal of every database the run
 * made. When PostgreSQL cannot be reached the setup says so; the tests that need it then fail
 * with the connection error (or are skipped with SWITCHBOARD_TEST_SERVICES=off).
 */
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../src/store/dialects/postgres.js';
import { adminQuery, databaseUrl, servicesOff } from './helpers/postgres.js';

export default async function setup(): Promise<(() => Promise<void>) | void> {
  if (servicesOff) return;
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const template = `sbt_${run}_template`;
  try {
    await adminQuery(`create database "${template}"`);
  } catch (err) {
    process.stderr.write(`postgres-setup: PostgreSQL is not reachable (${(err as Error).message}); PostgreSQL tests will fail. Set SWITCHBOARD_TEST_SERVICES=off to skip them.\n`);
    return;
  }
  const store = await openPostgresStore({ url: databaseUrl(template), poolSize: 1 });
  await store.close();
  process.env.SWITCHBOARD_TEST_PG_RUN = run;
  process.env.SWITCHBOARD_TEST_PG_TEMPLATE = template;
  return async () => {
    const { rows } = await adminQuery(`select datname from pg_database where datname like 'sbt\\_${run}\\_%'`);
    for (const { datname } of rows as Array<{ datname: string }>) await adminQuery(`drop database if exists "${datname}" with (force)`);
  };
}
