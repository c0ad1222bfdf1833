import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import { describeWebhookFairness } from './webhook-fairness-contract.js';

describeWebhookFairness('sqlite', async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  return { store, close: () => store.close() };
});
