import { afterAll, describe } from 'vitest';
import { perTestPostgresStores, servicesOff } from '../helpers/postgres.js';
import { describeWebhookFairness } from './webhook-fairness-contract.js';

const open = perTestPostgresStores(afterAll);

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeWebhookFairness('postgres', open);
});
