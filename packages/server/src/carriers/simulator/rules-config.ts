/**
 * Kept so the composition root's import keeps working while it is rewritten: the rule vocabulary
 * now lives in the domain (`domain/simulator/rules.ts`). Import from there and delete this file.
 */
export { parseOutcomeRules } from '../../domain/simulator/rules.js';
