import { afterAll, describe } from 'vitest';
import { perTestPostgresStores, servicesOff } from '../helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

const open = perTestPostgresStores(afterAll);

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeStoreContract('postgres', open, { knownBugs: [] });
});
