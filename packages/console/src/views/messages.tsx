/**
 * Every message of the project, newest first, updating live. Filters live in the URL; new messages
 * from the feed are added when they match them, changed ones are updated in place.
 */
import { MESSAGE_STATUSES, type ConsoleMessageSummary, type ConsoleSession } from '@switchboard/protocol';
import { Component } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Empty, ErrorBox, StatusBadge, Time, fieldError } from '../components';
import { useFeed } from '../feed';
import { SURFACES } from '../format';
import { placeNewestFirst } from '../order';
import { MAX_ROWS, usePagedList } from '../paged';
import { href, navigate } from '../router';

/** How long typing pauses before the filters apply. */
const TYPING_PAUSE_MS = 300;

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
  const open = href(['messages', m.id]);
  return (
    <tr data-message-id={m.id} data-status={m.status} onClick={(e) => !(e.target as Element).closest('a') && navigate(open)}>
      <td class="time">
        {/* The row's link: keyboard users reach each message with Tab and open it with Enter. */}
        <a href={open} class="row-link" aria-label={`${m.direction === 'inbound' ? 'Inbound' : 'Outbound'} message from ${m.from} to ${m.to}, ${m.status}`}>
          <Time iso={m.created_at} />
        </a>
      </td>
      <td class="dir" title={m.direction}>
        {m.direction === 'inbound' ? '↓ in' : '↑ out'}
      </td>
      <td class="num from">{m.from}</td>
      <td class="num to">
        <span class="arrow" aria-hidden="true">
          →{' '}
        </span>
        {m.to}
      </td>
      <td class="body">
        {/* <bdi>: the sender's direction marks (U+202E…) must not reorder what follows it. */}
        {m.body ? <bdi>{m.body}</bdi> : m.media_count ? <em>{m.media_count} media</em> : <em class="muted">(empty)</em>}
        {m.body && m.media_count ? <span class="muted"> · {m.media_count} media</span> : null}
      </td>
      <td class="state">
        <StatusBadge status={m.status} />
        {m.error_code ? <span class="code"> {m.error_code}</span> : null}
      </td>
      <td class="muted surface">{SURFACES[m.origin] ?? m.origin}</td>
      <td class="muted seg" title={m.encoding}>
        {m.segments}
      </td>
    </tr>
  );
}

export function Messages({ query: routeQuery, session }: { query: URLSearchParams; session: ConsoleSession }) {
  const filters = useMemo(() => filtersOf(routeQuery), [routeQuery.toString()]);
  const [draft, setDraft] = useState<Filters>(filters);
  const [reloadKey, setReloadKey] = useState(0);
  const { rows, setRows, next, setNext, error, loading, loaded, loadOlder } = usePagedList<ConsoleMessageSummary>('/api/console/messages', { ...filters, limit: 100 }, reloadKey);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const nextRef = useRef(next);
  nextRef.current = next;

  // The URL changed under us (a link, back, Clear): show its filters. Not while our own typing is
  // being applied, which would put back what the user has typed since.
  const applied = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (applied.current !== routeQuery.toString()) {
      // Typing not yet applied gives way to the new URL.
      if (timer.current) clearTimeout(timer.current);
      setDraft(filters);
    }
    applied.current = null;
  }, [filters]);
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // "/" jumps to the search box, as on GitHub and in Gmail.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, [contenteditable]')) return;
      e.preventDefault();
      search.current?.focus();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  useFeed(
    (batch) => {
      if (!batch.messages.length) return;
      const current = rowsRef.current;
      const index = new Map(current.map((m, i) => [m.id, i]));
      // A message not shown belongs to the list when it is as new as the oldest row shown (or the
      // whole list is shown): an older one changing state (a late receipt) is not new.
      const oldest = nextRef.current === null ? '' : (current[current.length - 1]?.created_at ?? '');
      let out: ConsoleMessageSummary[] | null = null;
      const added: ConsoleMessageSummary[] = [];
      for (const m of batch.messages) {
        const i = index.get(m.id);
        if (i !== undefined) {
          out ??= current.slice();
          out[i] = m;
        } else if (m.created_at >= oldest && matches(m, filtersRef.current)) added.push(m);
      }
      if (!out && !added.length) return;
      let merged = added.length ? placeNewestFirst(out ?? current, added, (m) => m.created_at) : out!;
      if (merged.length > MAX_ROWS) {
        merged = merged.slice(0, MAX_ROWS);
        setNext(merged[MAX_ROWS - 1]!.cursor);
      }
      rowsRef.current = merged;
      setRows(merged);
    },
    () => setReloadKey((k) => k + 1),
    [],
  );

  /** Put `f` in the URL without a history entry per keystroke; the list follows the URL. */
  function applyNow(f: Filters) {
    const clean: Record<string, string | undefined> = {};
    for (const k of KEYS) clean[k] = f[k]?.trim() || undefined;
    const to = href(['messages'], clean);
    // Typing paused just as the user went elsewhere: stay there.
    const path = location.hash.replace(/^#\/?/, '').split('?')[0]!.replace(/\/$/, '');
    if (to === location.hash || (path !== '' && path !== 'messages')) return;
    applied.current = to.split('?')[1] ?? '';
    location.replace(to);
  }

  // Search as you type: the filters apply once typing pauses.
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  function change(next: Filters, immediate: boolean) {
    setDraft(next);
    if (timer.current) clearTimeout(timer.current);
    if (immediate) applyNow(next);
    else timer.current = setTimeout(() => applyNow(next), TYPING_PAUSE_MS);
  }

  const set = (k: keyof Filters, immediate = false) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => change({ ...draft, [k]: e.currentTarget.value }, immediate);
  const noNumbers = session.numbers.length === 0;
  const activeFilters = KEYS.filter((k) => k !== 'q' && filters[k]).length;
  const [moreFilters, setMoreFilters] = useState(false);

  return (
    // data-loaded-for: the address whose list is shown (absent while new filters load), for tests and tools.
    <div class="view" data-view="messages" data-loaded-for={loaded ? href(['messages'], { ...filters }) : undefined}>
      <div class="view-head">
        <h1>Messages</h1>
        <a class="button primary" href={href(['conversations'])} data-action="compose">
          New message
        </a>
      </div>
      <form
        class={`filters${moreFilters ? ' open' : ''}`}
        role="search"
        aria-label="Filter messages"
        data-form="filters"
        onSubmit={(e) => {
          e.preventDefault();
          change(draft, true);
        }}
      >
        <input type="search" ref={search} placeholder="Search in bodies  ( / )" aria-label="Search in message bodies" name="q" value={draft.q ?? ''} onInput={set('q')} aria-keyshortcuts="/" />
        {/* On a phone the other filters fold away behind this button (hidden on wider screens). */}
        <button type="button" class="filters-toggle" aria-expanded={moreFilters} aria-controls="more-filters" onClick={() => setMoreFilters(!moreFilters)}>
          Filters{activeFilters ? ` · ${activeFilters}` : ''}
        </button>
        <div class="more-filters" id="more-filters">
        <input type="search" placeholder="Number (either side)" aria-label="Number, either side" name="number" value={draft.number ?? ''} onInput={set('number')} class={fieldError(error, 'number') ? 'invalid' : ''} />
        <select name="status" aria-label="Status" value={draft.status ?? ''} onChange={set('status', true)}>
          <option value="">Any status</option>
          {MESSAGE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          <option value="undelivered,failed">undelivered or failed</option>
        </select>
        <select name="direction" aria-label="Direction" value={draft.direction ?? ''} onChange={set('direction', true)}>
          <option value="">Both directions</option>
          <option value="outbound">Outbound</option>
          <option value="inbound">Inbound</option>
        </select>
        <select name="surface" aria-label="Surface" value={draft.surface ?? ''} onChange={set('surface', true)}>
          <option value="">Any surface</option>
          {Object.entries(SURFACES).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
        <input type="date" name="since" aria-label="Created on or after" title="Created on or after" value={draft.since ?? ''} onInput={set('since')} />
        <input type="date" name="until" aria-label="Created on or before" title="Created on or before" value={draft.until ?? ''} onInput={set('until')} />
        </div>
        {Object.keys(filters).length ? (
          <a class="button" href={href(['messages'])} data-action="clear-filters">
            Clear
          </a>
        ) : null}
      </form>
      <ErrorBox error={error} />
      {rows.length === 0 && !loading ? (
        <Empty>
          {next ? (
            // A page reads a bounded number of messages (http.listScanRows): older ones are searched on "Load older".
            'No match among the most recent messages. “Load older” searches further back.'
          ) : Object.keys(filters).length ? (
            'No message matches these filters.'
          ) : noNumbers ? (
            <>
              No messages yet, and this project has no phone number to send from. <a href={href(['numbers'])}>Add a number</a> first.
            </>
          ) : (
            'No messages yet. Send one with “New message”, or through the API.'
          )}
        </Empty>
      ) : (
        <table class="list messages" data-list="messages" aria-label="Messages, newest first" aria-busy={loading}>
          <thead>
            <tr>
              <th>Created</th>
              <th>
                <span class="sr-only">Direction</span>
              </th>
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
