/** What the platform is connected to: RELAY sessions, carriers and SMPP binds, and the webhook outbox. */
import type { ConsoleConnections, ConsoleOutbox, ConsoleOutboxRedrive, ConsoleWebhookDelivery } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, query } from '../api';
import { Attempts, Card, ErrorBox, Field, fieldError, StatusBadge, Time } from '../components';
import { webhookLabel } from '../format';
import { href } from '../router';

interface CarrierView {
  id: string;
  kind: string;
  state: string;
  default_route: boolean;
  routes: string[];
  health: { ok: boolean; detail?: string };
  links: Array<{ id: string; mode: string; state: string; window_used: number; window_size: number; bound_since: string | null; last_error: string | null }>;
  queued_parts: number;
  throughput: number | null;
  throughput_limit: number | null;
  counters: Record<string, number>;
}

/** A delivery in words: "Status callback “delivered”". */
function describe(d: ConsoleWebhookDelivery): string {
  const l = webhookLabel(d);
  return l.reports ? `${l.kind} “${l.reports}”` : l.kind;
}

/** Refresh every few seconds while the view is open. */
function usePolling(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
  return tick;
}

export function Connections() {
  const tick = usePolling(3000);
  return (
    <div class="view">
      <div class="view-head">
        <h1>Connections</h1>
      </div>
      <Relay tick={tick} />
      <Carriers tick={tick} />
      <Outbox tick={tick} />
    </div>
  );
}

function Relay({ tick }: { tick: number }) {
  const [data, setData] = useState<ConsoleConnections | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<ConsoleConnections>('/api/console/connections').then(setData, setError);
  }, [tick]);
  return (
    <Card title="RELAY sessions">
      <ErrorBox error={error} />
      {!data ? null : !data.relay.available ? (
        <div class="muted">This server does not run the RELAY surface.</div>
      ) : data.relay.sessions.length === 0 ? (
        <div class="muted">No RELAY client is connected.</div>
      ) : (
        <table class="list" data-list="relay-sessions">
          <thead>
            <tr>
              <th>Session</th>
              <th>Contexts</th>
              <th>State</th>
              <th>Connected since</th>
              <th>Events sent</th>
              <th>Not yet acked</th>
            </tr>
          </thead>
          <tbody>
            {data.relay.sessions.map((s) => (
              <tr key={s.id}>
                <td class="mono small">{s.id}</td>
                <td>{s.contexts.join(', ') || '—'}</td>
                <td>{s.state}</td>
                <td>
                  <Time iso={s.connected_since} />
                </td>
                <td>{s.events_sent ?? '—'}</td>
                <td>{s.events_unacked ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function Carriers({ tick }: { tick: number }) {
  const [carriers, setCarriers] = useState<CarrierView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ data: CarrierView[] }>('/api/ops/carriers').then((r) => (setCarriers(r.data), setError(null)), setError);
  }, [tick]);
  return (
    <Card title="Carriers">
      {error instanceof ApiError && error.status === 403 ? <div class="muted">Carriers are shared by every project: their state is shown to the operator project’s management tokens only.</div> : <ErrorBox error={error} />}
      {carriers?.map((c) => (
        <div class="carrier" key={c.id} data-carrier={c.id}>
          <div class="carrier-head">
            <strong>{c.id}</strong> <span class="muted">{c.kind}</span> <span class={`badge ${c.health.ok ? 'status-delivered' : 'status-failed'}`}>{c.state}</span>
            {c.default_route ? <span class="muted"> · default route</span> : null}
            {c.routes.length ? <span class="muted"> · routes {c.routes.join(', ')}</span> : null}
          </div>
          <div class="muted small">
            {c.throughput !== null ? `${c.throughput} msg/s` : ''}
            {c.throughput_limit ? ` (limit ${c.throughput_limit})` : ''}
            {c.queued_parts ? ` · ${c.queued_parts} parts queued` : ''}
            {Object.entries(c.counters).length ? ` · ${Object.entries(c.counters).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}
          </div>
          {c.links.length ? (
            <table class="list small">
              <thead>
                <tr>
                  <th>Bind</th>
                  <th>Mode</th>
                  <th>State</th>
                  <th>Window</th>
                  <th>Bound since</th>
                  <th>Last error</th>
                </tr>
              </thead>
              <tbody>
                {c.links.map((l) => (
                  <tr key={l.id}>
                    <td>{l.id}</td>
                    <td>{l.mode}</td>
                    <td>{l.state}</td>
                    <td>
                      {l.window_used}/{l.window_size}
                    </td>
                    <td>
                      <Time iso={l.bound_since} />
                    </td>
                    <td>{l.last_error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ))}
    </Card>
  );
}

function Outbox({ tick }: { tick: number }) {
  const [status, setStatus] = useState('');
  const [data, setData] = useState<ConsoleOutbox | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [own, setOwn] = useState(0);
  useEffect(() => {
    api<ConsoleOutbox>(`/api/console/outbox${query({ status, limit: 50 })}`).then((d) => (setData(d), setError(null)), setError);
  }, [tick, status, own]);
  const act = async (d: ConsoleWebhookDelivery, action: 'retry' | 'replay') => {
    try {
      await api(`/api/console/outbox/${d.id}/${action}`, { method: 'POST' });
      setOwn((x) => x + 1);
    } catch (err) {
      setError(err);
    }
  };
  const c = data?.counts;
  // A count past the server's cap is "N+", not a total.
  const n = (k: keyof ConsoleOutbox['counts']) => (data ? `${data.counts[k]}${data.capped?.[k] ? '+' : ''}` : '');
  return (
    <Card
      title="Webhook outbox"
      actions={
        <div class="tabs" data-tabs="outbox">
          {[
            ['', 'All'],
            ['pending', `Pending${c ? ` (${n('pending')}${c.retrying ? `, ${n('retrying')} retrying` : ''})` : ''}`],
            ['failed', `Failed${c ? ` (${n('failed')})` : ''}`],
            ['delivered', `Delivered${c ? ` (${n('delivered')})` : ''}`],
          ].map(([k, label]) => (
            <button key={k} class={status === k ? 'active' : ''} aria-pressed={status === k} onClick={() => setStatus(k!)}>
              {label}
            </button>
          ))}
        </div>
      }
    >
      <ErrorBox error={error} />
      <Redrive onDone={() => setOwn((x) => x + 1)} />
      {data && data.data.length === 0 ? (
        <div class="muted" data-empty>
          {status ? `No ${status} deliveries.` : 'No webhook was sent yet: give a message a status callback URL, or a number a cXML webhook, and its deliveries show here.'}
        </div>
      ) : null}
      {data && data.data.length ? (
        <table class="list" data-list="outbox" aria-label="Webhook deliveries, newest first">
          <thead>
            <tr>
              <th>Created</th>
              <th>Kind</th>
              <th>URL</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Next</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.data.map((d, i) => (
              <tr key={d.id} data-webhook-id={d.id} data-status={d.status}>
                <td>
                  <Time iso={d.created_at} />
                </td>
                <td>{d.message_id ? <a href={href(['messages', d.message_id])}>{describe(d)}</a> : describe(d)}</td>
                <td class="mono small wide">{d.url}</td>
                <td>
                  <StatusBadge status={d.status} />
                </td>
                <td>
                  <Attempts d={d} />
                </td>
                <td>{d.last_status_code ?? d.last_error ?? '—'}</td>
                <td>{d.next_attempt_at && d.status === 'pending' ? <Time iso={d.next_attempt_at} /> : '—'}</td>
                <td>
                  {d.status !== 'delivered' ? (
                    <button class="small" onClick={() => void act(d, 'retry')} data-action="retry-webhook" aria-label={`Retry ${describe(d)}, row ${i + 1}, now`}>
                      Retry now
                    </button>
                  ) : d.kind === 'status_callback' ? (
                    <button class="small" onClick={() => void act(d, 'replay')} data-action="replay-webhook" aria-label={`Replay ${describe(d)}, row ${i + 1}`} title="Send this callback again, as a new delivery">
                      Replay
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Card>
  );
}

/** Queue the project's failed deliveries again, by URL (exact or prefix) and creation time. */
function Redrive({ onDone }: { onDone: () => void }) {
  const [url, setUrl] = useState('');
  const [match, setMatch] = useState<'url_prefix' | 'url'>('url_prefix');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="inline-form flat"
      data-form="redrive"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setResult(null);
        try {
          const r = await api<ConsoleOutboxRedrive>('/api/console/outbox/redrive', { body: { [match]: url.trim(), since, until } });
          setResult(`${r.redriven} failed ${r.redriven === 1 ? 'delivery' : 'deliveries'} queued again.`);
          onDone();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <Field label="Re-drive failed deliveries to" error={fieldError(error, match)}>
        <input name="redrive_url" placeholder="https://example.com/hooks (empty: every URL)" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </Field>
      <select name="redrive_match" aria-label="How the URL matches" value={match} onChange={(e) => setMatch(e.currentTarget.value as 'url_prefix' | 'url')}>
        <option value="url_prefix">URL starts with</option>
        <option value="url">exact URL</option>
      </select>
      <Field label="Created from" error={fieldError(error, 'since')}>
        <input type="date" name="redrive_since" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
      </Field>
      <Field label="to" error={fieldError(error, 'until')}>
        <input type="date" name="redrive_until" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
      </Field>
      <button type="submit" data-action="redrive-webhooks">
        Re-drive
      </button>
      {result ? <span class="muted" data-result="redrive">{result}</span> : null}
      <ErrorBox error={error} fieldsShown={[match, 'since', 'until']} />
    </form>
  );
}
