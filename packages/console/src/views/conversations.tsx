/**
 * Threads per (our number, other party), chat-style. Compose as one of our numbers, or play the
 * phone: reply as the other party through the simulator (MO injection), media URLs included.
 */
import { analyzeBody, nonGsmCharacters, type ConsoleConversation, type ConsoleMessageSummary, type ConsolePage, type ConsoleSession } from '@switchboard/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from '../api';
import { Empty, ErrorBox, Field, StatusBadge, Time, fieldError } from '../components';
import { useFeed } from '../feed';
import { codePoint, sides } from '../format';
import { placeNewestFirst, placeOldestFirst } from '../order';
import { MAX_ROWS, usePagedList } from '../paged';
import { href, navigate } from '../router';

const key = (ours: string, other: string) => `${ours}|${other}`;

export function Conversations({ session, ours, other }: { session: ConsoleSession; ours: string | undefined; other: string | undefined }) {
  const [filterOurs, setFilterOurs] = useState('');
  const [reloadKey, setReloadKey] = useState(0);
  const { rows: threads, setRows: setThreads, next, setNext, error, loadOlder } = usePagedList<ConsoleConversation>('/api/console/conversations', { ours: filterOurs, limit: 100 }, reloadKey);
  const filterRef = useRef(filterOurs);
  filterRef.current = filterOurs;

  useFeed(
    (b) => {
      if (!b.messages.length) return;
      setThreads((current) => {
        const byKey = new Map(current.map((t) => [key(t.ours, t.other), t]));
        const moved = new Map<string, ConsoleConversation>();
        for (const m of b.messages) {
          const s = sides(m);
          if (filterRef.current && s.ours !== filterRef.current) continue;
          const k = key(s.ours, s.other);
          const t = moved.get(k) ?? byKey.get(k);
          // Its newest message changed state, or a message at least as new arrived (docs/console.md: order by creation time).
          if (!t || t.last.id === m.id || t.last.created_at <= m.created_at) moved.set(k, { ...s, last: m });
        }
        if (!moved.size) return current;
        const stay = current.filter((t) => !moved.has(key(t.ours, t.other)));
        const placed = placeNewestFirst(stay, [...moved.values()], (t) => t.last.created_at);
        if (placed.length <= MAX_ROWS) return placed;
        // The threads pushed out are older than the last one kept: "Load older" continues there.
        setNext(placed[MAX_ROWS - 1]!.last.cursor);
        return placed.slice(0, MAX_ROWS);
      });
    },
    () => setReloadKey((k) => k + 1),
    [],
  );

  return (
    <div class={`view conversations${ours && other ? ' has-thread' : ''}`}>
      <div class="threads" aria-label="Conversations" role="region">
        <h1 class="sr-only">Conversations</h1>
        {session.numbers.length ? <NewConversation session={session} /> : <NoNumbers />}
        {session.numbers.length > 1 ? (
          <select value={filterOurs} onChange={(e) => setFilterOurs(e.currentTarget.value)} aria-label="Show conversations of our number">
            <option value="">All our numbers</option>
            {session.numbers.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        ) : null}
        <ErrorBox error={error} />
        <ul class="thread-list" data-list="threads">
          {threads.map((t) => (
            <li key={key(t.ours, t.other)} class={t.ours === ours && t.other === other ? 'active' : ''} data-thread={key(t.ours, t.other)}>
              <a href={href(['conversations', t.ours, t.other])}>
                <div class="thread-top">
                  <strong class="mono">{t.other}</strong>
                  <span class="muted small">
                    <Time iso={t.last.created_at} />
                  </span>
                </div>
                <div class="muted small">via {t.ours}</div>
                <div class="thread-last">
                  {t.last.direction === 'inbound' ? '' : 'You: '}
                  {t.last.body ? <bdi>{t.last.body}</bdi> : t.last.media_count ? `${t.last.media_count} media` : ''}
                </div>
              </a>
            </li>
          ))}
        </ul>
        {threads.length === 0 && session.numbers.length ? <Empty>{next ? 'None among the most recent messages: “Load older” looks further back.' : 'No conversations yet: start one above.'}</Empty> : null}
        {next ? (
          <button class="more" onClick={() => void loadOlder()}>
            Load older
          </button>
        ) : null}
      </div>
      <div class="thread">{ours && other ? <Thread session={session} ours={ours} other={other} /> : <Empty>{session.numbers.length ? 'Pick a conversation, or start a new one.' : 'Add a phone number to start a conversation.'}</Empty>}</div>
    </div>
  );
}

/** An empty project's "New message": there is nothing to send from until it has a number. */
function NoNumbers() {
  return (
    <div class="empty no-numbers" role="status" data-empty="no-numbers">
      <strong>This project has no phone number yet.</strong>
      <p>
        Messages are sent from one of the project’s numbers. <a href={href(['numbers'])}>Add a number</a> — with the simulator any E.164 number works, e.g. <code>+15551230003</code> — or through the API:
      </p>
      <pre class="json">{`curl -u "$PROJECT_ID:$API_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"number": "+15551230003"}' \\
  ${location.origin}/api/relay/rest/phone_numbers`}</pre>
    </div>
  );
}

function NewConversation({ session }: { session: ConsoleSession }) {
  const [from, setFrom] = useState(session.numbers[0] ?? '');
  const [to, setTo] = useState('');
  return (
    <form
      class="new-conversation"
      data-form="new-conversation"
      onSubmit={(e) => {
        e.preventDefault();
        if (from && to.trim()) navigate(href(['conversations', from, to.trim()]));
      }}
    >
      <div class="label" id="new-conversation-label">
        New conversation from
      </div>
      <select value={from} onChange={(e) => setFrom(e.currentTarget.value)} aria-label="New conversation from">
        {session.numbers.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      <div class="row">
        <input placeholder="to +15557654321" aria-label="To (E.164 number)" type="tel" value={to} onInput={(e) => setTo(e.currentTarget.value)} name="to" />
        <button type="submit">Open</button>
      </div>
    </form>
  );
}

function mediaList(text: string): string[] | undefined {
  const urls = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return urls.length ? urls : undefined;
}

/** Live segment count of a draft: the same maths the server uses. */
function SegmentMeter({ body }: { body: string }) {
  if (!body) return null;
  const a = analyzeBody(body);
  const odd = a.encoding === 'UCS-2' ? nonGsmCharacters(body) : [];
  return (
    <span class={`meter${a.encoding === 'UCS-2' ? ' ucs2' : ''}`} data-field="meter">
      {a.encoding} · {a.segments} segment{a.segments === 1 ? '' : 's'} · {a.remainingInLastSegment} left
      {odd.length ? ` · UCS-2 because of ${odd.slice(0, 3).map((c) => `“${c.char}” ${codePoint(c.codePoint)}`).join(', ')}${odd.length > 3 ? '…' : ''}` : ''}
    </span>
  );
}

/** Pages read at most to show a conversation's newest messages (each reads a bounded part of the history). */
const MAX_THREAD_PAGES = 50;

function Thread({ session, ours, other }: { session: ConsoleSession; ours: string; other: string }) {
  const [messages, setMessages] = useState<ConsoleMessageSummary[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [reloadKey, setReloadKey] = useState(0);
  // The conversation whose messages have loaded: until then an empty thread and a loading one look alike.
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const ownNumber = session.numbers.includes(ours);

  useEffect(() => {
    let live = true;
    setMessages([]);
    // A page reads a bounded number of the project's messages (http.listScanRows), so the newest
    // 200 of a quiet conversation may take several: read on while `next` says there is more.
    void (async () => {
      const found: ConsoleMessageSummary[] = [];
      let before: string | null = null;
      for (let pages = 0; pages < MAX_THREAD_PAGES && live; pages++) {
        const p: ConsolePage<ConsoleMessageSummary> = await api<ConsolePage<ConsoleMessageSummary>>(`/api/console/messages${query({ ours, other, limit: MAX_ROWS - found.length, before })}`);
        found.push(...p.data);
        before = p.next;
        if (before === null || found.length >= MAX_ROWS) break;
      }
      if (!live) return;
      setMessages(found.reverse());
      setLoadedFor(key(ours, other));
      setError(null);
    })().catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [ours, other, reloadKey]);

  useFeed(
    (b) => {
      const mine = b.messages.filter((m) => {
        const s = sides(m);
        return s.ours === ours && s.other === other;
      });
      if (!mine.length) return;
      setMessages((current) => {
        const byId = new Map(current.map((m, i) => [m.id, i]));
        const out = current.slice();
        const added: ConsoleMessageSummary[] = [];
        for (const m of mine) {
          const i = byId.get(m.id);
          if (i !== undefined) out[i] = m;
          else added.push(m);
        }
        // The newest ones, as the thread loads them: a chatty handset does not grow the page without end.
        return placeOldestFirst(out, added, (m) => m.created_at).slice(-MAX_ROWS);
      });
    },
    () => setReloadKey((k) => k + 1),
    [ours, other],
  );

  // On the newest message, not the count: a full thread keeps its length as new messages push old ones out.
  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [messages[messages.length - 1]?.id]);

  return (
    <div class="thread-inner" data-view="thread" data-loaded-for={loadedFor === key(ours, other) ? href(['conversations', ours, other]) : undefined}>
      <div class="thread-head">
        <a class="back" href={href(['conversations'])} aria-label="Back to conversations">
          ←
        </a>
        <div class="thread-title">
          <h1 class="sr-only">Conversation with {other}</h1>
          <strong class="mono">{other}</strong> <span class="muted">with our number {ours}</span>
        </div>
        <a class="button small" href={href(['messages'], { number: other })}>
          All messages of {other}
        </a>
      </div>
      <ErrorBox error={error} />
      <div class="bubbles" data-list="bubbles" role="log" aria-label={`Messages with ${other}`}>
        {messages.map((m) => (
          <a key={m.id} class={`bubble ${m.direction}`} href={href(['messages', m.id])} data-message-id={m.id} data-status={m.status} aria-label={`${m.direction === 'inbound' ? `From ${other}` : 'Sent'}: ${m.body || `${m.media_count} media`}, ${m.status}`}>
            <div class="bubble-body">{m.body || (m.media_count ? '' : '(empty)')}</div>
            {m.media_count ? <div class="small muted">+ {m.media_count} media</div> : null}
            <div class="bubble-meta">
              <Time iso={m.created_at} /> {m.direction === 'outbound' ? <StatusBadge status={m.status} /> : null}
              {m.error_code ? <span class="code"> {m.error_code}</span> : null}
            </div>
          </a>
        ))}
        <div ref={bottom} />
      </div>
      {ownNumber ? (
        <div class="composers">
          <Composer
            title={`Send as ${ours}`}
            action="send"
            submit={(body, media) => api('/api/messaging/messages', { body: { from: ours, to: other, ...(body ? { body } : {}), ...(media ? { media } : {}) } })}
          />
          <Composer
            title={`Play the phone: reply as ${other}`}
            action="reply-as-phone"
            phone
            submit={(body, media) => api('/api/simulator/inbound', { body: { from: other, to: ours, ...(body ? { body } : {}), ...(media ? { media } : {}) } })}
          />
        </div>
      ) : (
        <div class="muted">{ours} is not one of this project's numbers, so the console cannot send from it.</div>
      )}
    </div>
  );
}

function Composer({ title, action, phone, submit }: { title: string; action: string; phone?: boolean; submit: (body: string, media: string[] | undefined) => Promise<unknown> }) {
  const [body, setBody] = useState('');
  const [media, setMedia] = useState('');
  const [showMedia, setShowMedia] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class={`composer${phone ? ' phone' : ''}`}
      data-form={action}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await submit(body, mediaList(media));
          setBody('');
          setMedia('');
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="composer-title">{title}</div>
      <ErrorBox error={error} fieldsShown={['body', 'media']} />
      <Field label="Message" error={fieldError(error, 'body')}>
        <textarea name="body" rows={2} value={body} onInput={(e) => setBody(e.currentTarget.value)} placeholder={phone ? 'What the phone sends…' : 'Type a message…'} />
      </Field>
      {showMedia ? (
        <Field label="Media URLs" error={fieldError(error, 'media')} hint="One per line; makes it an MMS.">
          <textarea name="media" rows={2} value={media} onInput={(e) => setMedia(e.currentTarget.value)} placeholder="https://example.com/photo.jpg" />
        </Field>
      ) : null}
      <div class="composer-foot">
        <SegmentMeter body={body} />
        <button type="button" class="link small" onClick={() => setShowMedia(!showMedia)}>
          {showMedia ? 'No media' : 'Add media'}
        </button>
        <button type="submit" class={phone ? '' : 'primary'} disabled={busy} data-action={action}>
          {phone ? 'Reply as phone' : 'Send'}
        </button>
      </div>
    </form>
  );
}
