/** The project's numbers through the public phone-numbers API: list, add, edit the message handler, release. */
import { MESSAGE_HANDLERS, type ConsoleSession, type NativePage, type PhoneNumber } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Card, Empty, ErrorBox, Field, fieldError } from '../components';
import { when } from '../format';

const NUMBERS = '/api/relay/rest/phone_numbers';

interface NumberGroup {
  id: string;
  name: string;
  phone_numbers_count?: number;
  sticky_sender?: boolean;
}

export function Numbers({ onChanged }: { session: ConsoleSession; onChanged: () => void }) {
  const [numbers, setNumbers] = useState<PhoneNumber[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = () => {
    setTick((t) => t + 1);
    onChanged();
  };

  useEffect(() => {
    api<NativePage<PhoneNumber>>(`${NUMBERS}?page_size=1000`)
      .then((p) => (setNumbers(p.data), setError(null)))
      .catch(setError);
  }, [tick]);

  return (
    <div class="view">
      <div class="view-head">
        <h1>Numbers</h1>
      </div>
      <AddNumber onAdded={reload} />
      <ErrorBox error={error} />
      {numbers.length === 0 && !error ? <Empty>No numbers yet.</Empty> : null}
      <div class="number-list" data-list="numbers">
        {numbers.map((n) =>
          editing === n.id ? (
            <EditNumber key={n.id} n={n} onDone={() => (setEditing(null), reload())} onCancel={() => setEditing(null)} />
          ) : (
            <div class="number-row" key={n.id} data-number={n.number}>
              <div>
                <strong class="mono">{n.number}</strong> {n.name ? <span>{n.name}</span> : null}
                <div class="muted small">
                  {n.capabilities.join(', ')} · added {when(n.created_at)}
                </div>
              </div>
              <div class="handler">{describeHandler(n)}</div>
              <div class="actions">
                <button class="small" onClick={() => setEditing(n.id)} data-action="edit-number">
                  Edit
                </button>
              </div>
            </div>
          ),
        )}
      </div>
      <NumberGroups />
    </div>
  );
}

function describeHandler(n: PhoneNumber): string {
  switch (n.message_handler) {
    case 'relay_context':
      return `RELAY context “${n.message_relay_context ?? ''}”`;
    case 'relay_topic':
      return `RELAY topic “${n.message_relay_topic ?? ''}”`;
    case 'relay_application':
      return `RELAY application “${n.message_relay_context ?? ''}”`;
    case 'laml_webhooks':
      return `cXML webhook ${n.message_request_method} ${n.message_request_url ?? '(no URL)'}${n.message_fallback_url ? `, fallback ${n.message_fallback_url}` : ''}`;
    case 'laml_application':
      return `cXML application ${n.message_laml_application_id ?? ''}`;
    default:
      return 'No message handler: inbound messages are only stored';
  }
}

function AddNumber({ onAdded }: { onAdded: () => void }) {
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="inline-form"
      data-form="add-number"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await api(NUMBERS, { body: { number: number.trim(), ...(name.trim() ? { name: name.trim() } : {}) } });
          setNumber('');
          setName('');
          onAdded();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <Field label="Add a number" error={fieldError(error, 'number')}>
        <input name="number" placeholder="+15551230003" value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
      </Field>
      <Field label="Name" error={fieldError(error, 'name')}>
        <input name="name" placeholder="optional" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <button type="submit" class="primary" data-action="add-number">
        Add
      </button>
      <ErrorBox error={error} fieldsShown={['number', 'name']} />
    </form>
  );
}

function EditNumber({ n, onDone, onCancel }: { n: PhoneNumber; onDone: () => void; onCancel: () => void }) {
  const [form, setForm] = useState({
    name: n.name ?? '',
    message_handler: n.message_handler ?? '',
    message_relay_context: n.message_relay_context ?? '',
    message_relay_topic: n.message_relay_topic ?? '',
    message_request_url: n.message_request_url ?? '',
    message_request_method: n.message_request_method ?? 'POST',
    message_fallback_url: n.message_fallback_url ?? '',
    message_fallback_method: n.message_fallback_method ?? 'POST',
    message_laml_application_id: n.message_laml_application_id ?? '',
  });
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setForm({ ...form, [k]: e.currentTarget.value });
  const h = form.message_handler;
  const err = (f: string) => fieldError(error, f);
  return (
    <form
      class="number-edit card"
      data-form="edit-number"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await api(`${NUMBERS}/${n.id}`, {
            method: 'PUT',
            body: {
              ...form,
              message_handler: form.message_handler || null,
              name: form.name || null,
              message_relay_context: form.message_relay_context || null,
              message_relay_topic: form.message_relay_topic || null,
              message_request_url: form.message_request_url || null,
              message_fallback_url: form.message_fallback_url || null,
              message_laml_application_id: form.message_laml_application_id || null,
            },
          });
          onDone();
        } catch (ex) {
          setError(ex);
        }
      }}
    >
      <h3 class="mono">{n.number}</h3>
      <ErrorBox error={error} fieldsShown={Object.keys(form)} />
      <div class="form-grid">
        <Field label="Name" error={err('name')}>
          <input name="name" value={form.name} onInput={set('name')} />
        </Field>
        <Field label="Message handler" error={err('message_handler')}>
          <select name="message_handler" value={h} onChange={set('message_handler')}>
            <option value="">None (store only)</option>
            {MESSAGE_HANDLERS.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </Field>
        {h === 'relay_context' || h === 'relay_application' ? (
          <Field label="RELAY context" error={err('message_relay_context')}>
            <input name="message_relay_context" value={form.message_relay_context} onInput={set('message_relay_context')} />
          </Field>
        ) : null}
        {h === 'relay_topic' ? (
          <Field label="RELAY topic" error={err('message_relay_topic')}>
            <input name="message_relay_topic" value={form.message_relay_topic} onInput={set('message_relay_topic')} />
          </Field>
        ) : null}
        {h === 'laml_webhooks' ? (
          <>
            <Field label="cXML URL" error={err('message_request_url')}>
              <input name="message_request_url" value={form.message_request_url} onInput={set('message_request_url')} placeholder="https://example.com/sms" />
            </Field>
            <Field label="Method" error={err('message_request_method')}>
              <select name="message_request_method" value={form.message_request_method} onChange={set('message_request_method')}>
                <option>POST</option>
                <option>GET</option>
              </select>
            </Field>
            <Field label="Fallback URL" error={err('message_fallback_url')}>
              <input name="message_fallback_url" value={form.message_fallback_url} onInput={set('message_fallback_url')} />
            </Field>
            <Field label="Fallback method" error={err('message_fallback_method')}>
              <select name="message_fallback_method" value={form.message_fallback_method} onChange={set('message_fallback_method')}>
                <option>POST</option>
                <option>GET</option>
              </select>
            </Field>
          </>
        ) : null}
        {h === 'laml_application' ? (
          <Field label="cXML application id" error={err('message_laml_application_id')}>
            <input name="message_laml_application_id" value={form.message_laml_application_id} onInput={set('message_laml_application_id')} />
          </Field>
        ) : null}
      </div>
      <div class="actions">
        <button type="submit" class="primary" data-action="save-number">
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Number groups, when this server has them (they come with the Compatibility API). */
function NumberGroups() {
  const [groups, setGroups] = useState<NumberGroup[] | null | 'absent'>(null);
  useEffect(() => {
    api<NativePage<NumberGroup>>('/api/relay/rest/number_groups?page_size=100')
      .then((p) => setGroups(p.data))
      .catch((err) => setGroups(err instanceof ApiError && err.status === 404 ? 'absent' : []));
  }, []);
  if (groups === null || groups === 'absent') return null;
  return (
    <Card title="Number groups">
      {groups.length === 0 ? (
        <div class="muted">No number groups.</div>
      ) : (
        <ul>
          {groups.map((g) => (
            <li key={g.id}>
              <strong>{g.name}</strong> <span class="muted mono">{g.id}</span> {g.phone_numbers_count !== undefined ? <span class="muted">· {g.phone_numbers_count} numbers</span> : null}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
