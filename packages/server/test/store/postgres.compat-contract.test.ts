import { afterAll, describe } from 'vitest';
import { perTestPostgresStores, servicesOff } from '../helpers/postgres.js';
import { describeCompatStoreContract } from './compat-store-contract.js';

const open = perTestPostgresStores(afterAll);

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeCompatStoreContract('postgres', open);
});
