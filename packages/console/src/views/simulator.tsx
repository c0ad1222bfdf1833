/** The carrier simulator as this project sees it: its delays and outcome rules, the magic numbers, and what its handsets received. */
import type { ConsoleSession } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Card, ErrorBox, Field, Time, fieldError } from '../components';
import { useFeed } from '../feed';

interface Rule {
  prefix: string;
  outcome: string;
  error?: number;
  times?: number;
  description?: string;
}

interface Settings {
  delay_ms: number;
  delayed_receipt_ms: number;
  mms_receipts: boolean;
  rules: Rule[];
  magic_numbers?: Rule[];
}

interface InboxEntry {
  id: number;
  message_id: string;
  from: string;
  to: string;
  body: string;
  media: string[];
  segments: number;
  received_at: string;
}

export function Simulator({ session }: { session: ConsoleSession }) {
  return (
    <div class="view">
      <div class="view-head">
        <h1>Simulator</h1>
      </div>
      <SettingsForm canChange={session.scopes.includes('management')} />
      <Inbox />
    </div>
  );
}

function SettingsForm({ canChange }: { canChange: boolean }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [delay, setDelay] = useState('');
  const [delayed, setDelayed] = useState('');
  const [mms, setMms] = useState(false);
  const [rules, setRules] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  const show = (s: Settings) => {
    setSettings((old) => ({ ...s, magic_numbers: s.magic_numbers ?? old?.magic_numbers ?? [] }));
    setDelay(String(s.delay_ms));
    setDelayed(String(s.delayed_receipt_ms));
    setMms(s.mms_receipts);
    setRules(JSON.stringify(s.rules, null, 2));
  };

  useEffect(() => {
    api<Settings>('/api/simulator/settings').then(show, setError);
  }, []);

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    let parsedRules: unknown;
    try {
      parsedRules = rules.trim() ? JSON.parse(rules) : [];
    } catch (err) {
      setError(new ApiError(400, '', { rules: `The rules are not valid JSON: ${(err as Error).message}` }, [`The rules are not valid JSON: ${(err as Error).message}`]));
      return;
    }
    const num = (v: string) => (/^\s*\d+\s*$/.test(v) ? Number(v) : v);
    try {
      show(await api<Settings>('/api/simulator/settings', { method: 'PUT', body: { delay_ms: num(delay), delayed_receipt_ms: num(delayed), mms_receipts: mms, rules: parsedRules } }));
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <>
      <Card title="Behaviour">
        <form class="settings" onSubmit={save} data-form="simulator-settings">
          <ErrorBox error={error} fieldsShown={['delay_ms', 'delayed_receipt_ms', 'mms_receipts', 'rules']} />
          <div class="form-grid">
            <Field label="Delay between steps (ms)" error={fieldError(error, 'delay_ms')} hint="queued → sent → delivered; 0 is as fast as it goes">
              <input name="delay_ms" value={delay} onInput={(e) => setDelay(e.currentTarget.value)} disabled={!canChange} />
            </Field>
            <Field label="Delayed receipt (ms)" error={fieldError(error, 'delayed_receipt_ms')} hint="for +12015550106 and “delayed” rules">
              <input name="delayed_receipt_ms" value={delayed} onInput={(e) => setDelayed(e.currentTarget.value)} disabled={!canChange} />
            </Field>
            <label class="check">
              <input type="checkbox" checked={mms} onChange={(e) => setMms(e.currentTarget.checked)} disabled={!canChange} /> Delivery receipts for MMS
            </label>
          </div>
          <Field label="Outcome rules (JSON)" error={fieldError(error, 'rules')} hint='e.g. [{"prefix": "+4477", "outcome": "undelivered", "error": 30003}] — the longest matching prefix wins'>
            <textarea name="rules" rows={5} class="mono" value={rules} onInput={(e) => setRules(e.currentTarget.value)} disabled={!canChange} />
          </Field>
          {canChange ? (
            <div class="actions">
              <button type="submit" class="primary" data-action="save-simulator">
                Save
              </button>
              {saved ? <span class="ok">Saved. They apply to this project’s messages only.</span> : null}
            </div>
          ) : (
            <div class="muted">Changing these needs an API token with the management scope.</div>
          )}
        </form>
      </Card>
      <Card title="Magic numbers">
        <table class="list" data-list="magic-numbers">
          <thead>
            <tr>
              <th>Send to</th>
              <th>Outcome</th>
              <th>Error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(settings?.magic_numbers ?? []).map((r) => (
              <tr key={r.prefix}>
                <td class="mono">{r.prefix}</td>
                <td>
                  {r.outcome}
                  {r.times ? ` ×${r.times}` : ''}
                </td>
                <td>{r.error ?? ''}</td>
                <td class="muted wide">{r.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="muted small">Everything else is delivered. Messages to this project's own numbers loop back as inbound messages.</div>
      </Card>
    </>
  );
}

function Inbox() {
  const [entries, setEntries] = useState<InboxEntry[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api<{ data: InboxEntry[] }>('/api/simulator/messages?limit=100').then((r) => (setEntries(r.data), setError(null)), setError);
  }, [tick]);
  useFeed(
    (b) => {
      if (b.handset.length) setTick((t) => t + 1);
    },
    () => setTick((t) => t + 1),
    [],
  );
  const clear = async () => {
    if (!confirm('Empty the handset inbox of this project?')) return;
    try {
      await api('/api/simulator/messages', { method: 'DELETE' });
      setTick((t) => t + 1);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card
      title="Handset inbox"
      actions={
        <button class="small" onClick={() => void clear()} data-action="clear-inbox">
          Clear inbox
        </button>
      }
    >
      <ErrorBox error={error} />
      {entries.length === 0 ? (
        <div class="muted" data-empty>
          No phone has received anything yet. Messages this project sends to numbers that are not its own land here.
        </div>
      ) : (
        <table class="list" data-list="inbox">
          <thead>
            <tr>
              <th>Received</th>
              <th>Phone</th>
              <th>From</th>
              <th>Body</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((h) => (
              <tr key={h.id}>
                <td>
                  <Time iso={h.received_at} />
                </td>
                <td class="mono">{h.to}</td>
                <td class="mono">{h.from}</td>
                <td class="wide">
                  <bdi>{h.body}</bdi>
                  {h.media.length ? <span class="muted"> · {h.media.length} media</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
