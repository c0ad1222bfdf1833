/**
 * The Accounts resource (`/Accounts`, `/Accounts/{AccountSid}`), read only: the account is the
 * project you authenticate as. Code written for Twilio or SignalWire fetches it to check its
 * credentials (`client.api.accounts(sid).fetch()`, `client.api.v2010.account.fetch()`,
 * `@signalwire/sdk`'s `compat.accounts.get(sid)`); another sid is refused by the plugin's auth hook.
 * Its update renames the project (SignalWire's "Update an Account" takes FriendlyName; the
 * TypeScript SDK's `compat.accounts.update(sid, { FriendlyName })`), with the `management` scope.
 * Sub-accounts are not modelled: creating one is 405.
 */
import { COMPAT_URI_PREFIX, type CompatAccount, type CompatAccountPage } from '@switchboard/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { preview } from '../../domain/preview.js';
import type { ProjectRecord } from '../../domain/project.js';
import { principalOf } from '../auth.js';
import { singleParam } from '../query-params.js';
import type { CompatDeps } from './deps.js';
import { resourceNotFound } from './error-format.js';
import { compatPage, filterParams, parseCompatPage } from './paging.js';
import { toCompatAccount } from './presenters.js';
import { paramsOf, refuseRepeated } from './params.js';
import { fetchAccountSchema, listAccountsSchema, updateAccountSchema } from './schemas.js';

/** An account's statuses (twilio-node's AccountStatus); the project is always `active`. */
const ACCOUNT_STATUSES = new Set(['active', 'suspended', 'closed']);

/** The longest account name (SignalWire: "up to 64 characters"; Twilio's FriendlyName likewise). */
const MAX_FRIENDLY_NAME = 64;

/** The new name an account update asks for, if any; its parameters refused in the Compatibility API's shape. */
function accountUpdate(body: unknown): { name?: string } {
  refuseRepeated(body, { FriendlyName: 'INVALID_PARAMETER', Status: 'INVALID_PARAMETER' });
  const p = paramsOf(body);
  const status = p.Status;
  if (status !== undefined && status !== 'active') {
    throw AppError.of('INVALID_PARAMETER', { attribute: 'Status', message: `Status ${preview(status)} cannot be set: the project is always active (it is never suspended or closed here).` });
  }
  const name = p.FriendlyName;
  if (name === undefined) return {};
  if (typeof name !== 'string' || name.trim() === '' || [...name].length > MAX_FRIENDLY_NAME) {
    throw AppError.of('INVALID_PARAMETER', { attribute: 'FriendlyName', message: `FriendlyName must be text of 1 to ${MAX_FRIENDLY_NAME} characters.` });
  }
  return { name };
}

export async function accountRoutes(app: FastifyInstance, deps: CompatDeps): Promise<void> {
  const project = async (request: FastifyRequest): Promise<ProjectRecord> => {
    const found = await deps.reads.projects.get(principalOf(request).projectId);
    if (!found) throw resourceNotFound(request.url);
    return found;
  };

  for (const path of ['/Accounts', '/Accounts.json']) {
    app.get(path, { schema: listAccountsSchema }, async (request): Promise<CompatAccountPage> => {
      const query = request.query as Record<string, unknown>;
      const page = parseCompatPage(query, ['FriendlyName', 'Status']);
      const friendlyName = singleParam(query, 'FriendlyName');
      const status = singleParam(query, 'Status');
      // A value that is no status is refused, as on Messages, not answered as a status no account has.
      if (status !== undefined && !ACCOUNT_STATUSES.has(status)) {
        throw AppError.of('FILTER_INVALID', { attribute: 'Status', message: `Status ${preview(status)} is not an account status (active, suspended, closed).` });
      }
      const p = await project(request);
      // One record: a page token (after or before it) names an empty page.
      const matches = (friendlyName === undefined || friendlyName === p.name) && (status === undefined || status === 'active');
      const rows = matches && !page.token ? [{ ...p, seq: 0 }] : [];
      // A page of one record never links to another, so no position is ever sealed for this list.
      const list = await deps.reads.pageTokens.list(p.id, 'accounts', async () => undefined);
      const { items, meta } = compatPage(rows, page, `${COMPAT_URI_PREFIX}/Accounts.json`, filterParams(query), list);
      return { ...meta, accounts: items.map(toCompatAccount) };
    });
  }

  app.get('/Accounts/:AccountSid', { schema: fetchAccountSchema }, async (request): Promise<CompatAccount> => toCompatAccount(await project(request)));
  app.post('/Accounts/:AccountSid', { schema: updateAccountSchema }, async (request): Promise<CompatAccount> => {
    const { name } = accountUpdate(request.body);
    if (name !== undefined && !(await deps.projects.rename(principalOf(request).projectId, name))) throw resourceNotFound(request.url);
    return toCompatAccount(await project(request));
  });
}
