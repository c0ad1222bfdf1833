import { afterAll, describe } from 'vitest';
import { perTestPostgresStores, servicesOff } from '../helpers/postgres.js';
import { describeJobFairness } from './job-fairness-contract.js';

const open = perTestPostgresStores(afterAll);

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeJobFairness('postgres', open);
});
