import { InProcessBus } from '../../src/bus/in-process-bus.js';
import { describeBusContract } from './bus-contract.js';

describeBusContract('in-process', async () => {
  const errors: unknown[] = [];
  const bus = new InProcessBus((err) => errors.push(err));
  return { bus, errors, settle: async () => {}, close: () => bus.close() };
});
