/**
 * One-time codes read with a caller's `code_pattern`, on a time budget. The pattern runs on the
 * server's thread: one-time-code.ts refuses nested quantifiers such as `(a+)+`, but no check of
 * the text catches every pattern that backtracks for ever — `(a|a)*$` or `(a|aa)*b` took over two
 * minutes on one 60-character body, and the whole server stood still meanwhile. So each match runs
 * in a `vm` context with a timeout, which interrupts the regular expression itself; the matches
 * of one request share `CODE_PATTERN_BUDGET_MS`, and a pattern that uses it up is a 422.
 *
 * A request's budget alone did not bound a project: 30 waits with such a pattern, answered by one
 * message, ran one after another in the same turn and held the thread 3 s (256 connections of one
 * address: 25 s), every other project's requests waiting. So a project's patterns together also
 * spend one bucket (`PatternTime`, per node): four requests' budgets at once, one a second; a match gets what is left of both, and a request finding the bucket spent (before its
 * match, or by it) is a 429.
 */
import vm from 'node:vm';
import { AppError } from '../../domain/app-error.js';
import { findCode } from '../../domain/simulator/one-time-code.js';
import { RecentMap } from '../../util/recent-map.js';
import { TokenBucket } from '../../util/token-bucket.js';

/** The time the matches of one request may take together (ms); a project's get as much a second. */
export const CODE_PATTERN_BUDGET_MS = 100;

/** A project's patterns at once: four requests' budgets, as many lists as a project runs at once by default. */
const PROJECT_BURST_MS = 4 * CODE_PATTERN_BUDGET_MS;

/** Projects whose buckets are kept; one forgotten starts full again. */
const MAX_PROJECTS = 10_000;

const context = vm.createContext({ re: /./, body: '' });
const exec = new vm.Script('re.exec(body)');

/** Each project's time for caller patterns on this node: `CODE_PATTERN_BUDGET_MS` of the thread a second. */
export class PatternTime {
  private readonly buckets = new RecentMap<TokenBucket>(MAX_PROJECTS);

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The bucket of `projectId`'s patterns (ms of matching). */
  of(projectId: string): ProjectPatternTime {
    let bucket = this.buckets.get(projectId);
    if (!bucket) this.buckets.set(projectId, (bucket = new TokenBucket(CODE_PATTERN_BUDGET_MS, PROJECT_BURST_MS, this.now())));
    return { bucket, now: this.now };
  }
}

export interface ProjectPatternTime {
  readonly bucket: TokenBucket;
  readonly now: () => number;
}

/**
 * The code in each body a request presents: the default pattern as is, a caller's within the
 * request's budget and its project's (`time`); `refused` is called (and must throw) when the
 * project's is spent before a match.
 */
export function codeFinder(pattern: RegExp | undefined, time?: ProjectPatternTime, refused?: () => never): (body: string) => string | null {
  if (!pattern) return (body) => findCode(body);
  const clock = time?.now ?? (() => performance.now());
  const deadline = clock() + CODE_PATTERN_BUDGET_MS;
  return (body) =>
    findCode(body, pattern, (re, text) => {
      const started = clock();
      const project = time ? time.bucket.available(started) : Infinity;
      if (project <= 0) refused?.();
      // Cut short by the project's bucket rather than the request's budget: the project's time is spent.
      const byProject = project < deadline - started;
      const left = Math.max(1, Math.ceil(Math.min(deadline - started, project)));
      context.re = re;
      context.body = text;
      try {
        return exec.runInContext(context, { timeout: left }) as RegExpExecArray | null;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
        if (byProject) refused?.();
        throw AppError.of('FILTER_INVALID', {
          attribute: 'code_pattern',
          message: `code_pattern took more than ${CODE_PATTERN_BUDGET_MS} ms on the inbox: it backtracks too much (as (a|a)*$ does); make it simpler.`,
        });
      } finally {
        context.body = '';
        const ended = clock();
        time?.bucket.charge(ended, ended - started);
      }
    });
}
