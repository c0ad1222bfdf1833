/**
 * One-time codes read with a caller's `code_pattern`, on a time budget. The pattern runs on the
 * server's thread: one-time-code.ts refuses nested quantifiers such as `(a+)+`, but no check of
 * the text catches every pattern that backtracks for ever — `(a|a)*$` or `(a|aa)*b` took over two
 * minutes on one 60-character body, and the whole server stood still meanwhile. So each match runs
 * in a `vm` context with a timeout, which interrupts the regular expression itself; the matches
 * of one request share `CODE_PATTERN_BUDGET_MS`, and a pattern that uses it up is a 422.
 */
import vm from 'node:vm';
import { AppError } from '../../domain/app-error.js';
import { findCode } from '../../domain/simulator/one-time-code.js';

/** The time the matches of one request may take together. */
export const CODE_PATTERN_BUDGET_MS = 100;

const context = vm.createContext({ re: /./, body: '' });
const exec = new vm.Script('re.exec(body)');

/** The code in each body a request presents: the default pattern as is, a caller's within the budget. */
export function codeFinder(pattern: RegExp | undefined): (body: string) => string | null {
  if (!pattern) return (body) => findCode(body);
  const deadline = performance.now() + CODE_PATTERN_BUDGET_MS;
  return (body) =>
    findCode(body, pattern, (re, text) => {
      const left = Math.max(1, Math.ceil(deadline - performance.now()));
      context.re = re;
      context.body = text;
      try {
        return exec.runInContext(context, { timeout: left }) as RegExpExecArray | null;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
        throw AppError.of('FILTER_INVALID', {
          attribute: 'code_pattern',
          message: `code_pattern took more than ${CODE_PATTERN_BUDGET_MS} ms on the inbox: it backtracks too much (as (a|a)*$ does); make it simpler.`,
        });
      } finally {
        context.body = '';
      }
    });
}
