/** cXML applications of a project (the Compatibility API's Applications resource, messaging fields). */
import { AppError, detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { CxmlApplicationPatch, CxmlApplicationRecord } from '../../domain/cxml-applications.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { Store } from '../../domain/ports/store.js';
import { preview } from '../../domain/preview.js';
import { HTTP_URL_RULE, parseHttpUrl, UNTRIMMED_URL_PROBLEM, untrimmedUrl } from '../../domain/urls.js';

/** Parameters as the Compatibility API names them. */
export type ApplicationParams = Readonly<Record<string, unknown>>;

function checkParams(p: ApplicationParams): CxmlApplicationPatch {
  const patch: { -readonly [K in keyof CxmlApplicationPatch]: CxmlApplicationPatch[K] } = {};
  const bad = (name: string, message: string) => new AppError(detail('INVALID_PARAMETER', { attribute: name, message }));
  if (p.FriendlyName !== undefined) {
    if (typeof p.FriendlyName !== 'string' || p.FriendlyName.length > 255) throw bad('FriendlyName', 'FriendlyName must be a string of at most 255 characters.');
    patch.friendlyName = p.FriendlyName;
  }
  for (const [name, field] of [
    ['SmsUrl', 'smsUrl'],
    ['SmsFallbackUrl', 'smsFallbackUrl'],
    ['SmsStatusCallback', 'smsStatusCallback'],
    // Twilio's current name for the same URL (SmsStatusCallback is "Same as message_status_callback
    // … Deprecated"); given with it, this one wins.
    ['MessageStatusCallback', 'smsStatusCallback'],
  ] as const) {
    const v = p[name];
    if (v === undefined) continue;
    if (v === '' || v === null) patch[field] = null;
    else if (untrimmedUrl(v) || !parseHttpUrl(v)) {
      // Refused, not trimmed, as media URLs and status callbacks are (urls.ts).
      const message = untrimmedUrl(v) ? `${name} ${preview(v)} ${UNTRIMMED_URL_PROBLEM}.` : `${name} must be ${HTTP_URL_RULE}.`;
      throw new AppError(detail(name === 'SmsStatusCallback' || name === 'MessageStatusCallback' ? 'STATUS_CALLBACK_INVALID' : 'WEBHOOK_URL_INVALID', { attribute: name, message }));
    }
    else patch[field] = v as string;
  }
  for (const [name, field] of [
    ['SmsMethod', 'smsMethod'],
    ['SmsFallbackMethod', 'smsFallbackMethod'],
  ] as const) {
    const v = p[name];
    if (v === undefined) continue;
    const m = typeof v === 'string' ? v.toUpperCase() : v;
    if (m !== 'GET' && m !== 'POST') throw bad(name, `${name} must be GET or POST.`);
    patch[field] = m;
  }
  return patch;
}

function notFound(id: string): AppError {
  return AppError.of('NOT_FOUND', { message: `The requested resource /Applications/${id} was not found` });
}

export class CxmlApplicationService {
  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      /** The most applications one project may have (`projects.maxApplications`); none when absent. */
      readonly maxPerProject?: number;
    },
  ) {}

  async create(projectId: string, params: ApplicationParams): Promise<CxmlApplicationRecord> {
    const patch = checkParams(params);
    const now = this.deps.clock.now();
    const app: CxmlApplicationRecord = {
      id: this.deps.ids.uuid(),
      projectId,
      friendlyName: patch.friendlyName ?? '',
      smsUrl: patch.smsUrl ?? null,
      smsMethod: patch.smsMethod ?? 'POST',
      smsFallbackUrl: patch.smsFallbackUrl ?? null,
      smsFallbackMethod: patch.smsFallbackMethod ?? 'POST',
      smsStatusCallback: patch.smsStatusCallback ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const max = this.deps.maxPerProject ?? Infinity;
    if (!(await this.deps.store.transaction((tx) => tx.applications.create(app, max)))) {
      throw new AppError(detail('APPLICATION_LIMIT_REACHED', { message: `This project already has ${max} cXML applications, the most a project may have; delete one first.` }));
    }
    return app;
  }

  async get(projectId: string, id: string): Promise<CxmlApplicationRecord> {
    const app = await this.deps.store.applications.get(projectId, id);
    if (!app) throw notFound(id);
    return app;
  }

  async update(projectId: string, id: string, params: ApplicationParams): Promise<CxmlApplicationRecord> {
    const app = await this.deps.store.applications.update(projectId, id, checkParams(params), this.deps.clock.now());
    if (!app) throw notFound(id);
    return app;
  }

  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.deps.store.applications.delete(projectId, id))) throw notFound(id);
  }
}
