import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import { describeJobFairness } from './job-fairness-contract.js';

describeJobFairness('sqlite', async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  return { store, close: () => store.close() };
});
