/**
 * Opt-outs: the project's opt-out lists (who replied STOP to which sender, or was added by hand),
 * adding and removing entries, and the project's smart-encoding and reply settings — all through
 * the native opt-out API (docs/api/native.md).
 */
import type { NativePage } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Card, Empty, ErrorBox, Field, Time, fieldError } from '../components';
import { href } from '../router';

const OPT_OUTS = '/api/messaging/opt_outs';
const SETTINGS = '/api/messaging/settings';

interface OptOut {
  readonly id: string;
  readonly sender: string;
  readonly handset: string;
  readonly source: 'keyword' | 'api';
  readonly keyword: string | null;
  readonly created_at: string;
}

interface Settings {
  readonly smart_encoding: boolean | null;
  readonly opt_out_replies: boolean | null;
}

export function OptOuts() {
  // null until the first answer: "Nobody has opted out" is not shown while the list loads.
  const [rows, setRows] = useState<OptOut[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const reload = () => setTick((t) => t + 1);

  useEffect(() => {
    api<NativePage<OptOut>>(`${OPT_OUTS}?page_size=1000`)
      .then((p) => (setRows(p.data), setError(null)))
      .catch(setError);
  }, [tick]);

  return (
    <div class="view" data-view="opt-outs" data-loaded-for={rows ? href(['opt-outs']) : undefined}>
      <div class="view-head">
        <h1>Opt-outs</h1>
      </div>
      <AddOptOut onAdded={reload} />
      <ErrorBox error={error} />
      {rows?.length === 0 && !error ? (
        <Empty>
          Nobody has opted out. A handset that texts STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE) to one of your numbers is listed here, and sends to it from that number — or its number group — are refused until it texts START. Try it from the Simulator: send “STOP” from a phone.
        </Empty>
      ) : null}
      <div class="number-list" data-list="opt-outs">
        {(rows ?? []).map((o) => (
          <div class="number-row" key={o.id} data-opt-out={o.handset}>
            <div>
              <strong class="mono">{o.handset}</strong>
              <div class="muted small">
                {o.source === 'keyword' ? (
                  <>
                    texted <bdi>{o.keyword}</bdi>
                  </>
                ) : (
                  'added by hand'
                )}{' '}
                · <Time iso={o.created_at} />
              </div>
            </div>
            <div class="handler">
              opted out of <span class="mono">{o.sender}</span>
            </div>
            <div class="actions">
              <button
                class="small"
                data-action="remove-opt-out"
                aria-label={`Let ${o.sender} write to ${o.handset} again`}
                onClick={async () => {
                  try {
                    await api(`${OPT_OUTS}/${o.id}`, { method: 'DELETE' });
                    reload();
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                Remove
              </button>
            </div>
          </div>
        ))}
      </div>
      <ProjectSettings />
    </div>
  );
}

function AddOptOut({ onAdded }: { onAdded: () => void }) {
  const [sender, setSender] = useState('');
  const [handset, setHandset] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="inline-form"
      data-form="add-opt-out"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await api(OPT_OUTS, { body: { sender: sender.trim(), handset: handset.trim() } });
          setHandset('');
          onAdded();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <Field label="Sender" error={fieldError(error, 'sender')} hint="one of your numbers, or a number group id">
        <input name="sender" placeholder="+15551230001" value={sender} onInput={(e) => setSender(e.currentTarget.value)} />
      </Field>
      <Field label="Handset" error={fieldError(error, 'handset')}>
        <input name="handset" type="tel" placeholder="+15557654321" value={handset} onInput={(e) => setHandset(e.currentTarget.value)} />
      </Field>
      <button type="submit" class="primary" data-action="add-opt-out">
        Add
      </button>
      <ErrorBox error={error} fieldsShown={['sender', 'handset']} />
    </form>
  );
}

/** The project-wide switches; numbers and groups can override them through the API. */
function ProjectSettings() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<unknown>(null);
  // One change at a time: two quick clicks must not send two PUTs that can land out of order.
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    api<Settings>(SETTINGS).then(setSettings).catch(setError);
  }, []);
  const toggle = async (field: keyof Settings, value: boolean) => {
    setError(null);
    setSaving(true);
    try {
      setSettings(await api<Settings>(SETTINGS, { method: 'PUT', body: { [field]: value } }));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card title="Project settings">
      <ErrorBox error={error} />
      {settings ? (
        <div class="form-grid" data-saving={saving ? '' : undefined}>
          <label class="check">
            <input type="checkbox" data-setting="opt_out_replies" disabled={saving} checked={settings.opt_out_replies ?? true} onChange={(e) => void toggle('opt_out_replies', e.currentTarget.checked)} /> Reply to STOP, START and HELP
          </label>
          <label class="check">
            <input type="checkbox" data-setting="smart_encoding" disabled={saving} checked={settings.smart_encoding ?? false} onChange={(e) => void toggle('smart_encoding', e.currentTarget.checked)} /> Smart encoding: replace curly quotes, dashes and other GSM-7 look-alikes so texts stay 160 characters a segment
          </label>
        </div>
      ) : null}
    </Card>
  );
}
