/**
 * One message: its state timeline (from message_events), where its body tips from GSM-7 into
 * UCS-2 and what that costs, its price and properties, and every webhook attempt made for it.
 * It refreshes itself while the message changes.
 */
import type { ConsoleMessageDetail, ConsoleSegments, ConsoleWebhookDelivery } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Attempts, Card, ErrorBox, Json, StatusBadge, Time } from '../components';
import { useFeed } from '../feed';
import { SURFACES, codePoint, sides, webhookLabel } from '../format';
import { href } from '../router';
import { SmartEncodingHint } from './smart-encoding-hint';

export function MessageDetail({ id }: { id: string }) {
  const [detail, setDetail] = useState<ConsoleMessageDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api<ConsoleMessageDetail>(`/api/console/messages/${encodeURIComponent(id)}`)
      .then((d) => live && (setDetail(d), setError(null)))
      .catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [id, tick]);

  useFeed(
    (b) => {
      if (b.messages.some((m) => m.id === id)) setTick((t) => t + 1);
    },
    () => setTick((t) => t + 1),
    [id],
  );

  useEffect(() => {
    // Webhook attempts are not in the feed: look again while some are still pending.
    const timer = setInterval(() => setTick((t) => t + 1), 5000);
    return () => clearInterval(timer);
  }, [id]);

  if (error && !detail) {
    return (
      <div class="view">
        <a href={href(['messages'])}>← Messages</a>
        <ErrorBox error={error} />
      </div>
    );
  }
  if (!detail) return <div class="view muted">Loading…</div>;
  const m = detail.message;
  const { ours, other } = sides(m);
  return (
    <div class="view detail" data-view="message-detail" data-message-id={m.id} data-loaded-for={href(['messages', id])}>
      <div class="view-head">
        <div>
          <a href={href(['messages'])}>← Messages</a>
          <h1>
            {m.direction === 'inbound' ? 'Inbound' : 'Outbound'} {m.kind.toUpperCase()} <StatusBadge status={m.status} />
          </h1>
          <div class="muted mono">{m.id}</div>
        </div>
        <a class="button" href={href(['conversations', ours, other])}>
          Open conversation
        </a>
      </div>
      {m.error_code ? (
        <div class="error-box failure" data-error-code={m.error_code}>
          <strong>Error {m.error_code}</strong> {m.reason ? <code>{m.reason}</code> : null}
          <div>
            <bdi>{m.error_message}</bdi>
          </div>
        </div>
      ) : null}
      <div class="grid">
        <Card title="Message">
          <dl class="props">
            <dt>From</dt>
            <dd class="mono">{m.from}</dd>
            <dt>To</dt>
            <dd class="mono">{m.to}</dd>
            <dt>Surface</dt>
            <dd>{SURFACES[m.origin] ?? m.origin}</dd>
            <dt>Created</dt>
            <dd>
              <Time iso={m.created_at} exact />
            </dd>
            <dt>Sent</dt>
            <dd>
              <Time iso={m.sent_at} exact />
            </dd>
            <dt>Price</dt>
            <dd data-field="price">{m.price === null ? 'not priced' : `${m.price} ${m.price_unit}`}{m.max_price ? ` (max ${m.max_price})` : ''}</dd>
            <dt>Carrier</dt>
            <dd>
              {m.carrier ?? '—'} {m.carrier_message_id ? <span class="mono muted">{m.carrier_message_id}</span> : null}
            </dd>
            {m.context ? (
              <>
                <dt>Context</dt>
                <dd>{m.context}</dd>
              </>
            ) : null}
            {m.status_callback ? (
              <>
                <dt>Status callback</dt>
                <dd class="mono">
                  <bdi>{m.status_callback}</bdi> <span class="muted">({m.callback_format})</span>
                </dd>
              </>
            ) : null}
            {m.tags.length ? (
              <>
                <dt>Tags</dt>
                <dd>
                  {m.tags.map((t, i) => (
                    <span key={i}>
                      {i ? ', ' : ''}
                      <bdi>{t}</bdi>
                    </span>
                  ))}
                </dd>
              </>
            ) : null}
            <dt>Validity</dt>
            <dd>
              {m.validity_period} s (until <Time iso={m.expires_at} exact />)
            </dd>
            {m.redacted_at ? (
              <>
                <dt>Redacted</dt>
                <dd>
              <Time iso={m.redacted_at} exact />
            </dd>
              </>
            ) : null}
          </dl>
          {m.custom_variables ? <Json value={m.custom_variables} /> : null}
          {m.media.length ? (
            <ul class="media">
              {m.media.map((u) => (
                <li key={u}>
                  <a href={u} target="_blank" rel="noreferrer noopener">
                    {u}
                  </a>
                </li>
              ))}
            </ul>
          ) : null}
        </Card>
        <Card title="Timeline">
          <ol class="timeline" data-list="timeline" aria-label="State changes, oldest first">
            {detail.events.map((e) => (
              <li key={e.id} data-status={e.status}>
                <StatusBadge status={e.status} />{' '}
                <span class="muted">
                  <Time iso={e.at} exact />
                </span>
                {e.error_code ? (
                  <div class="failure-line">
                    error {e.error_code}: <bdi>{e.error_message}</bdi>
                  </div>
                ) : null}
                {e.detail && Object.keys(e.detail).length ? <div class="mono small muted">{Object.entries(e.detail).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('  ')}</div> : null}
              </li>
            ))}
          </ol>
        </Card>
      </div>
      <Segments body={m.body} segments={detail.segments} redacted={!!m.redacted_at} />
      <Card title={`Webhooks (${detail.webhooks.length})`}>
        {detail.webhooks.length === 0 ? (
          <div class="muted">No webhook was sent for this message{m.status_callback ? ' yet' : ': it has no status callback URL, and its number no webhook'}.</div>
        ) : (
          <ol class="webhooks" data-list="webhooks" aria-label="Webhook deliveries, oldest first">
            {detail.webhooks.map((w, i) => (
              <Webhook key={w.id} w={w} n={i + 1} replayOf={replayOf(detail.webhooks, w)} onChanged={() => setTick((t) => t + 1)} />
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}

/** The body with the characters that force UCS-2 marked, and the split into segments. */
function Segments({ body, segments: s, redacted }: { body: string; segments: ConsoleSegments; redacted: boolean }) {
  const marks = new Map(s.non_gsm.map((c) => [c.index, c]));
  const pieces = [];
  for (let i = 0; i < body.length; ) {
    const c = marks.get(i);
    if (c) {
      pieces.push(
        <mark key={i} title={`${codePoint(c.code_point)} is not in the GSM-7 alphabet`}>
          {c.char}
        </mark>,
      );
      i += c.char.length;
    } else {
      let j = i + 1;
      while (j < body.length && !marks.has(j)) j++;
      pieces.push(body.slice(i, j));
      i = j;
    }
  }
  return (
    <Card title="Body and segments">
      {redacted ? <div class="muted">The body was redacted.</div> : <div class="body-text" data-field="body">{pieces.length ? pieces : <em class="muted">(no text)</em>}</div>}
      <div class="seg-summary" data-field="encoding">
        <strong>{s.encoding}</strong> · {s.segments} segment{s.segments === 1 ? '' : 's'} · {s.units} {s.encoding === 'GSM-7' ? 'septets' : 'UTF-16 units'} · {s.per_segment} per segment · {s.remaining_in_last_segment} left in the last
      </div>
      {s.non_gsm.length ? (
        <div class="why-ucs2" data-field="non-gsm">
          UCS-2 because {s.non_gsm.length === 1 ? 'this character is' : 'these characters are'} not in the GSM-7 alphabet:{' '}
          {s.non_gsm.slice(0, 20).map((c) => (
            <span key={c.index} class="char-chip">
              <mark>{c.char}</mark> {codePoint(c.code_point)} at {c.index}
            </span>
          ))}
          {s.non_gsm.length > 20 ? <span class="muted"> and {s.non_gsm.length - 20} more</span> : null}
          {redacted ? null : <SmartEncodingHint body={body} />}
          {s.segments_without_non_gsm !== null ? (
            <div>
              Without {s.non_gsm.length === 1 ? 'it' : 'them'} the body would be GSM-7: {s.segments_without_non_gsm} segment{s.segments_without_non_gsm === 1 ? '' : 's'}
              {s.segments_without_non_gsm < s.segments ? ` instead of ${s.segments}` : ''}, with room for 160 characters per segment (153 when split) instead of 70 (67).
            </div>
          ) : null}
        </div>
      ) : null}
      {s.parts.length > 1 ? (
        <ol class="parts">
          {s.parts.map((p, i) => (
            <li key={i}>
              <span class="muted">part {i + 1}:</span> {p}
            </li>
          ))}
        </ol>
      ) : null}
    </Card>
  );
}

/** The earlier delivery `w` repeats (same kind, URL and body), when it is a replay or a duplicate. */
function replayOf(all: ConsoleWebhookDelivery[], w: ConsoleWebhookDelivery): number | null {
  // `all` is oldest first (ids are opaque: they show no order).
  const i = all.slice(0, all.indexOf(w)).findIndex((d) => d.kind === w.kind && d.url === w.url && d.body === w.body);
  return i < 0 ? null : i + 1;
}

/**
 * One webhook delivery as a labelled row — what it is (for a status callback: the status it
 * reports), its state, attempts and last answer — opening onto its request and every attempt.
 * Failed and waiting ones can be retried now; a delivered status callback can be replayed.
 */
function Webhook({ w, n, replayOf: repeats, onChanged }: { w: ConsoleWebhookDelivery; n: number; replayOf: number | null; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const label = webhookLabel(w);
  const call = async (action: 'retry' | 'replay') => {
    setError(null);
    setBusy(true);
    try {
      await api(`/api/console/outbox/${w.id}/${action}`, { method: 'POST' });
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const attempts = w.attempt_log ?? [];
  const last = attempts[attempts.length - 1];
  const name = `${label.kind}${label.reports ? ` “${label.reports}”` : ''}`;
  return (
    <li class="webhook" data-webhook-id={w.id} data-status={w.status} data-reports={label.reports ?? undefined}>
      <div class="webhook-row">
        <span class="webhook-n muted">#{n}</span>
        <span class="webhook-name" data-field="webhook-label">
          <strong>{label.kind}</strong>
          {label.reports ? (
            <>
              {' '}
              reporting <StatusBadge status={label.reports} />
            </>
          ) : null}
          {repeats ? <span class="muted small"> · same request as #{repeats}</span> : null}
        </span>
        <span class="webhook-state">
          <span class="muted small">delivery</span> <StatusBadge status={w.status} />{' '}
          <span class="muted small">
            <Attempts d={w} /> {w.attempts === 1 && !w.max_attempts ? 'attempt' : 'attempts'}
            {last ? (
              <>
                {' '}
                · {last.status_code ?? 'no answer'} · <Time iso={last.at} />
              </>
            ) : null}
            {w.next_attempt_at && w.status === 'pending' ? (
              <>
                {' '}
                · next <Time iso={w.next_attempt_at} />
              </>
            ) : null}
          </span>
        </span>
        <span class="webhook-actions">
          {w.status !== 'delivered' ? (
            <button class="small" disabled={busy} onClick={() => void call('retry')} data-action="retry-webhook" aria-label={`Retry ${name} #${n} now`}>
              Retry now
            </button>
          ) : w.kind === 'status_callback' ? (
            <button class="small" disabled={busy} onClick={() => void call('replay')} data-action="replay-webhook" aria-label={`Replay ${name} #${n}`} title="Send this callback again, as a new delivery">
              Replay
            </button>
          ) : null}
        </span>
      </div>
      <ErrorBox error={error} />
      <details open={w.status !== 'delivered'}>
        <summary>
          Request and attempts <span class="sr-only">of {name} #{n}</span>
        </summary>
        <div class="mono small webhook-url">
          {w.method} {w.url}
        </div>
        <details>
          <summary>Request body ({w.content_type ?? 'query string'}, signed {w.signature_scheme})</summary>
          <Json value={w.body} />
        </details>
        <table class="list attempts" data-list="attempts" aria-label={`Attempts of ${name} #${n}`}>
          <thead>
            <tr>
              <th>#</th>
              <th>At</th>
              <th>Response</th>
              <th>Time</th>
              <th>Signature</th>
              <th>Answer</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr key={a.attempt} data-attempt={a.attempt}>
                <td>{a.attempt}</td>
                <td>
                  <Time iso={a.at} exact />
                </td>
                <td class={a.status_code !== null && a.status_code < 300 ? 'ok' : 'bad'} data-field="status-code">
                  {a.status_code ?? a.error}
                </td>
                <td>{a.duration_ms} ms</td>
                <td class="mono small">{a.signature}</td>
                <td class="mono small wide">{a.response_excerpt ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {attempts.length === 0 ? <div class="muted small">No attempt yet.</div> : null}
      </details>
    </li>
  );
}
