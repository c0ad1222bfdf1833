/**
 * Every message of the project, newest first, updating live. Filters live in the URL; new messages
 * from the feed are added when they match them, changed ones are updated in place.
 */
import { MESSAGE_STATUSES, type ConsoleMessageSummary } from '@switchboard/protocol';
import { Component } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Empty, ErrorBox, StatusBadge, fieldError } from '../components';
import { useFeed } from '../feed';
import { SURFACES, when } from '../format';
import { usePagedList } from '../paged';
import { href, navigate } from '../router';

/** Rows kept on screen: live additions push the oldest out (they stay reachable through "Load older"). */
const MAX_ROWS = 200;

interface Filters {
  number?: string;
  status?: string;
  direction?: string;
  surface?: string;
  since?: string;
  until?: string;
  q?: string;
}

const KEYS: Array<keyof Filters> = ['number', 'status', 'direction', 'surface', 'since', 'until', 'q'];

function filtersOf(q: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of KEYS) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** The same rules the server applies, for messages arriving live. */
function matches(m: ConsoleMessageSummary, f: Filters): boolean {
  if (f.number && m.from !== f.number && m.to !== f.number) return false;
  if (f.status && !f.status.split(',').includes(m.status)) return false;
  if (f.direction && m.direction !== f.direction) return false;
  if (f.surface && !f.surface.split(',').includes(m.origin)) return false;
  if (f.q && !m.body.toLowerCase().includes(f.q.toLowerCase())) return false;
  if (f.since && m.created_at < new Date(f.since).toISOString()) return false;
  if (f.until && m.created_at > new Date(new Date(f.until).getTime() + (f.until.length === 10 ? 86_399_999 : 0)).toISOString()) return false;
  return true;
}

/** A row re-renders only when its message changed (live batches replace only the changed records). */
class Row extends Component<{ m: ConsoleMessageSummary }> {
  override shouldComponentUpdate(next: { m: ConsoleMessageSummary }): boolean {
    return next.m !== this.props.m;
  }

  override render() {
    return <RowCells m={this.props.m} />;
  }
}

function RowCells({ m }: { m: ConsoleMessageSummary }) {
  return (
    <tr data-message-id={m.id} data-status={m.status} onClick={() => navigate(href(['messages', m.id]))}>
      <td class="time">{when(m.created_at)}</td>
      <td class="dir" title={m.direction}>
        {m.direction === 'inbound' ? '↓ in' : '↑ out'}
      </td>
      <td class="num">{m.from}</td>
      <td class="num">{m.to}</td>
      <td class="body">
        {m.body || (m.media_count ? <em>{m.media_count} media</em> : <em class="muted">(empty)</em>)}
        {m.body && m.media_count ? <span class="muted"> · {m.media_count} media</span> : null}
      </td>
      <td class="state">
        <StatusBadge status={m.status} />
        {m.error_code ? <span class="code"> {m.error_code}</span> : null}
      </td>
      <td class="muted">{SURFACES[m.origin] ?? m.origin}</td>
      <td class="muted" title={m.encoding}>
        {m.segments}
      </td>
    </tr>
  );
}

export function Messages({ query: routeQuery }: { query: URLSearchParams }) {
  const filters = useMemo(() => filtersOf(routeQuery), [routeQuery.toString()]);
  const [draft, setDraft] = useState<Filters>(filters);
  const [reloadKey, setReloadKey] = useState(0);
  const { rows, setRows, next, setNext, error, loading, loadOlder } = usePagedList<ConsoleMessageSummary>('/api/console/messages', { ...filters, limit: 100 }, reloadKey);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  useEffect(() => setDraft(filters), [filters]);

  useFeed(
    (batch) => {
      if (!batch.messages.length) return;
      const current = rowsRef.current;
      const index = new Map(current.map((m, i) => [m.id, i]));
      const newestSeq = current[0]?.seq ?? 0;
      let out: ConsoleMessageSummary[] | null = null;
      const added: ConsoleMessageSummary[] = [];
      for (const m of batch.messages) {
        const i = index.get(m.id);
        if (i !== undefined) {
          out ??= current.slice();
          out[i] = m;
        } else if (m.seq > newestSeq && matches(m, filtersRef.current)) added.push(m);
      }
      if (!out && !added.length) return;
      let merged = added.length ? [...added.sort((a, b) => b.seq - a.seq), ...(out ?? current)] : out!;
      if (merged.length > MAX_ROWS) {
        merged = merged.slice(0, MAX_ROWS);
        setNext(String(merged[MAX_ROWS - 1]!.seq));
      }
      rowsRef.current = merged;
      setRows(merged);
    },
    () => setReloadKey((k) => k + 1),
    [],
  );

  function apply(e: Event) {
    e.preventDefault();
    const clean: Record<string, string | undefined> = {};
    for (const k of KEYS) clean[k] = draft[k]?.trim() || undefined;
    navigate(href(['messages'], clean));
  }

  const set = (k: keyof Filters) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setDraft({ ...draft, [k]: e.currentTarget.value });

  return (
    <div class="view">
      <div class="view-head">
        <h1>Messages</h1>
        <a class="button primary" href={href(['conversations'])} data-action="compose">
          New message
        </a>
      </div>
      <form class="filters" onSubmit={apply} data-form="filters">
        <input placeholder="Number (either side)" name="number" value={draft.number ?? ''} onInput={set('number')} class={fieldError(error, 'number') ? 'invalid' : ''} />
        <select name="status" value={draft.status ?? ''} onChange={set('status')}>
          <option value="">Any status</option>
          {MESSAGE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          <option value="undelivered,failed">undelivered or failed</option>
        </select>
        <select name="direction" value={draft.direction ?? ''} onChange={set('direction')}>
          <option value="">Both directions</option>
          <option value="outbound">Outbound</option>
          <option value="inbound">Inbound</option>
        </select>
        <select name="surface" value={draft.surface ?? ''} onChange={set('surface')}>
          <option value="">Any surface</option>
          {Object.entries(SURFACES).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
        <input type="date" name="since" title="Created on or after" value={draft.since ?? ''} onInput={set('since')} />
        <input type="date" name="until" title="Created on or before" value={draft.until ?? ''} onInput={set('until')} />
        <input type="search" placeholder="Search in bodies" name="q" value={draft.q ?? ''} onInput={set('q')} />
        <button type="submit">Filter</button>
        {Object.keys(filters).length ? (
          <a class="button" href={href(['messages'])}>
            Clear
          </a>
        ) : null}
      </form>
      <ErrorBox error={error} />
      {rows.length === 0 && !loading ? (
        <Empty>{Object.keys(filters).length ? 'No message matches these filters.' : 'No messages yet. Send one from Conversations, or through the API.'}</Empty>
      ) : (
        <table class="list messages" data-list="messages">
          <thead>
            <tr>
              <th>Created</th>
              <th />
              <th>From</th>
              <th>To</th>
              <th>Body</th>
              <th>Status</th>
              <th>Surface</th>
              <th title="Segments">Seg.</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <Row key={m.id} m={m} />
            ))}
          </tbody>
        </table>
      )}
      {next ? (
        <button class="more" onClick={() => void loadOlder()}>
          Load older
        </button>
      ) : null}
    </div>
  );
}
