/** The project's numbers through the public phone-numbers API: list, add, edit the message handler, release. */
import { MESSAGE_HANDLERS, type NativePage, type NumberGroup, type NumberGroupMembership, type PhoneNumber } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Card, Empty, ErrorBox, Field, Time, fieldError } from '../components';
import { href } from '../router';

const NUMBERS = '/api/relay/rest/phone_numbers';
/** Short codes are listed, read and updated under their own resource (registered and released as numbers). */
const SHORT_CODES = '/api/relay/rest/short_codes';

/** Where a number is read and updated: a short code under its own resource. */
const resourceOf = (n: PhoneNumber) => `${n.number_type === 'shortcode' ? SHORT_CODES : NUMBERS}/${n.id}`;

const GROUPS = '/api/relay/rest/number_groups';

export function Numbers({ onChanged }: { onChanged: () => void }) {
  // null until the first answer: "No numbers yet" is not shown to a project whose numbers are loading.
  const [numbers, setNumbers] = useState<PhoneNumber[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = () => {
    setTick((t) => t + 1);
    onChanged();
  };

  useEffect(() => {
    Promise.all([api<NativePage<PhoneNumber>>(`${NUMBERS}?page_size=1000`), api<NativePage<PhoneNumber>>(`${SHORT_CODES}?page_size=1000`)])
      // Newest first, as each list is.
      .then(([numbers, codes]) => (setNumbers([...numbers.data, ...codes.data].sort((a, b) => b.created_at.localeCompare(a.created_at))), setError(null)))
      .catch(setError);
  }, [tick]);

  return (
    <div class="view" data-view="numbers" data-loaded-for={numbers ? href(['numbers']) : undefined}>
      <div class="view-head">
        <h1>Numbers</h1>
      </div>
      <AddNumber onAdded={reload} />
      <ErrorBox error={error} />
      {numbers?.length === 0 && !error ? (
        <Empty>
          No numbers yet. Add one above to send from it and receive on it: with the simulator any E.164 number works (<code>+15551230003</code>). Scripts use <code>POST /api/relay/rest/phone_numbers</code>.
        </Empty>
      ) : null}
      <div class="number-list" data-list="numbers">
        {(numbers ?? []).map((n) =>
          editing === n.id ? (
            <EditNumber key={n.id} n={n} onDone={() => (setEditing(null), reload())} onCancel={() => setEditing(null)} />
          ) : (
            <div class="number-row" key={n.id} data-number={n.number}>
              <div>
                <strong class="mono">{n.number}</strong> {n.name ? <bdi>{n.name}</bdi> : null}
                <div class="muted small">
                  {n.capabilities.join(', ')} · added <Time iso={n.created_at} />
                </div>
              </div>
              <div class="handler">{describeHandler(n)}</div>
              <div class="actions">
                <button class="small" onClick={() => setEditing(n.id)} data-action="edit-number" aria-label={`Edit ${n.number}`}>
                  Edit
                </button>
              </div>
            </div>
          ),
        )}
      </div>
      <NumberGroups numbers={numbers ?? []} />
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
        <input name="number" type="tel" placeholder="+15551230003" value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
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
          await api(resourceOf(n), {
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

/** Number groups, when this server has them (they come with the Compatibility API): create, add and remove members. */
function NumberGroups({ numbers }: { numbers: PhoneNumber[] }) {
  const [groups, setGroups] = useState<NumberGroup[] | null | 'absent'>(null);
  const [name, setName] = useState('');
  const [sticky, setSticky] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api<NativePage<NumberGroup>>(`${GROUPS}?page_size=100`)
      .then((p) => setGroups(p.data))
      .catch((err) => (err instanceof ApiError && err.status === 404 ? setGroups('absent') : setError(err)));
  }, [tick]);
  if (groups === 'absent') return null;
  return (
    <Card title="Number groups">
      <form
        class="inline-form flat"
        data-form="add-group"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            await api(GROUPS, { body: { name: name.trim(), sticky_sender: sticky } });
            setName('');
            setTick((t) => t + 1);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field label="New group" error={fieldError(error, 'name')}>
          <input name="group_name" placeholder="Support pool" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <label class="check">
          <input type="checkbox" checked={sticky} onChange={(e) => setSticky(e.currentTarget.checked)} /> Sticky sender
        </label>
        <button type="submit">Create</button>
        <ErrorBox error={error} fieldsShown={['name']} />
      </form>
      {groups === null || groups.length === 0 ? <div class="muted">No number groups.</div> : groups.map((g) => <Group key={g.id} g={g} numbers={numbers} onChanged={() => setTick((t) => t + 1)} />)}
    </Card>
  );
}

function Group({ g, numbers, onChanged }: { g: NumberGroup; numbers: PhoneNumber[]; onChanged: () => void }) {
  const [members, setMembers] = useState<NumberGroupMembership[]>([]);
  const [pick, setPick] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api<NativePage<NumberGroupMembership>>(`${GROUPS}/${g.id}/number_group_memberships?page_size=1000`).then((p) => setMembers(p.data), setError);
  }, [g.id, tick]);
  const change = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      setTick((t) => t + 1);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const inGroup = new Set(members.map((m) => m.phone_number.id));
  return (
    <div class="group" data-group={g.name}>
      <div class="group-head">
        <strong>
          <bdi>{g.name}</bdi>
        </strong>{' '}
        <span class="muted mono small">{g.id}</span> {g.sticky_sender ? <span class="badge">sticky sender</span> : null}
        <button class="small link danger" aria-label={`Delete group ${g.name}`} onClick={() => void change(() => api(`${GROUPS}/${g.id}`, { method: 'DELETE' }))}>
          Delete group
        </button>
      </div>
      <ErrorBox error={error} />
      <div class="members">
        {members.map((m) => (
          <span class="member" key={m.id}>
            <span class="mono">{m.phone_number.number}</span>
            <button class="link small" title="Remove from the group" aria-label={`Remove ${m.phone_number.number} from ${g.name}`} onClick={() => void change(() => api(`/api/relay/rest/number_group_memberships/${m.id}`, { method: 'DELETE' }))}>
              ×
            </button>
          </span>
        ))}
        <select value={pick} onChange={(e) => setPick(e.currentTarget.value)} aria-label={`Number to add to ${g.name}`}>
          <option value="">Add a number…</option>
          {numbers
            .filter((n) => !inGroup.has(n.id))
            .map((n) => (
              <option key={n.id} value={n.id}>
                {n.number}
              </option>
            ))}
        </select>
        <button class="small" disabled={!pick} onClick={() => void change(() => api(`${GROUPS}/${g.id}/number_group_memberships`, { body: { phone_number_id: pick } })).then(() => setPick(''))}>
          Add
        </button>
      </div>
    </div>
  );
}
