/** The shell: session check, login, navigation and the live-feed indicator around the views. */
import type { ConsoleNoSession, ConsoleSession } from '@switchboard/protocol';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, onSessionLost, setCsrfToken } from './api';
import { feed, type FeedState } from './feed';
import { href, useRoute } from './router';
import { Connections } from './views/connections';
import { Conversations } from './views/conversations';
import { Login } from './views/login';
import { MessageDetail } from './views/message-detail';
import { Messages } from './views/messages';
import { Numbers } from './views/numbers';
import { OptOuts } from './views/opt-outs';
import { Simulator } from './views/simulator';

const NAV: Array<[string, string]> = [
  ['messages', 'Messages'],
  ['conversations', 'Conversations'],
  ['numbers', 'Numbers'],
  ['opt-outs', 'Opt-outs'],
  ['connections', 'Connections'],
  ['simulator', 'Simulator'],
];

export function App() {
  const [session, setSession] = useState<ConsoleSession | ConsoleNoSession | null>(null);
  const [feedState, setFeedState] = useState<FeedState>(feed.state);

  /** The CSRF token of the session shown: another means the browser's cookie is another session's. */
  const shown = useRef<string | null>(null);

  const accept = useCallback((s: ConsoleSession | ConsoleNoSession) => {
    shown.current = s.authenticated ? s.csrf_token : null;
    setCsrfToken(shown.current);
    if (s.authenticated) feed.start();
    else feed.stop();
    setSession(s);
  }, []);

  const refresh = useCallback(async () => {
    try {
      accept(await api<ConsoleSession | ConsoleNoSession>('/api/console/session'));
    } catch {
      setSession({ authenticated: false, dev_login: false });
    }
  }, [accept]);

  useEffect(() => {
    void refresh();
    onSessionLost(() => void refresh());
    // A feed refused because its session ended (a logout in another tab, expiry) shows the login at
    // once; a server that cannot be reached now (a restart) leaves the view, and the feed retries.
    const offLost = feed.onLost(() => {
      api<ConsoleSession | ConsoleNoSession>('/api/console/session', { quiet401: true }).then((s) => !s.authenticated && accept(s), () => undefined);
    });
    // The feed opened again (the server ended it: this tab's session was replaced by a login in
    // another tab, or logged out): the browser's cookie may be another session's, of another
    // project, whose data the views would show under this one's name. Show that session instead.
    const offReload = feed.onReload(() => {
      api<ConsoleSession | ConsoleNoSession>('/api/console/session', { quiet401: true }).then((s) => (s.authenticated ? s.csrf_token : null) !== shown.current && accept(s), () => undefined);
    });
    const offState = feed.onState(setFeedState);
    return () => {
      offLost();
      offReload();
      offState();
    };
  }, [refresh, accept]);

  /**
   * Log out. Refused (403) when another tab logged in again since this one read its session: the
   * browser's cookie is then that session's, with another CSRF token. The session is read again and
   * the one the browser holds is ended, so "Log out" never leaves the browser logged in.
   */
  const logout = useCallback(async () => {
    const out = () => api<ConsoleNoSession>('/api/console/logout', { method: 'POST' });
    try {
      accept(await out());
    } catch (err) {
      // The server cannot be reached: the view stays, as the session may still be open.
      const now = await api<ConsoleSession | ConsoleNoSession>('/api/console/session', { quiet401: true }).catch(() => null);
      if (!now) throw err;
      if (now.authenticated) setCsrfToken(now.csrf_token);
      accept(now.authenticated ? await out() : now);
    }
  }, [accept]);

  if (!session) return <div class="splash">Loading…</div>;
  if (!session.authenticated) return <Login devLogin={session.dev_login} onLogin={accept} />;
  return <Shell session={session} feedState={feedState} onLogout={() => void logout()} onNumbersChanged={refresh} />;
}

function Shell({ session, feedState, onLogout, onNumbersChanged }: { session: ConsoleSession; feedState: FeedState; onLogout: () => void; onNumbersChanged: () => void }) {
  const route = useRoute();
  const [section = 'messages', ...rest] = route.parts;
  let view;
  switch (section) {
    case 'conversations':
      view = <Conversations session={session} ours={rest[0]} other={rest[1]} />;
      break;
    case 'numbers':
      view = <Numbers onChanged={onNumbersChanged} />;
      break;
    case 'opt-outs':
      view = <OptOuts />;
      break;
    case 'connections':
      view = <Connections />;
      break;
    case 'simulator':
      view = <Simulator session={session} />;
      break;
    default:
      // Keyed by id: another message's link starts from "Loading…", not from the last message's details.
      view = rest[0] ? <MessageDetail key={rest[0]} id={rest[0]} /> : <Messages query={route.query} session={session} />;
  }
  const current = NAV.some(([k]) => k === section) ? section : 'messages';
  const path = route.parts.join('/');
  const first = useRef(true);
  useEffect(() => {
    document.title = `${NAV.find(([k]) => k === current)?.[1] ?? 'Messages'} · Switchboard`;
    // A new view (not a filter change): screen readers and keyboard users start at its content.
    if (first.current) first.current = false;
    else document.getElementById('content')?.focus({ preventScroll: true });
  }, [path]);
  return (
    <div class="shell">
      <a class="skip-link" href="#content" onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}>
        Skip to content
      </a>
      <header class="sidebar">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ☎
          </span>{' '}
          Switchboard
        </div>
        <nav aria-label="Sections" class="nav">
          {NAV.map(([key, label]) => (
            <a key={key} href={href([key])} class={current === key ? 'active' : ''} aria-current={current === key ? 'page' : undefined} data-nav={key}>
              {label}
            </a>
          ))}
        </nav>
        <div class="sidebar-foot">
          <div class={`feed-state ${feedState}`} data-feed-state={feedState} title="Live updates" role="status" aria-live="polite">
            <span class="dot" aria-hidden="true" /> {feedState === 'live' ? 'Live' : feedState === 'connecting' ? 'Connecting…' : 'Offline'}
          </div>
          <div class="project" title={session.project_id}>
            {session.project_name || 'Project'}
            <small>{session.project_id}</small>
            {session.dev ? <small class="dev">dev login</small> : null}
          </div>
          <button class="link" onClick={onLogout} data-action="logout">
            Log out
          </button>
        </div>
      </header>
      <main class="content" id="content" tabIndex={-1}>
        {view}
      </main>
    </div>
  );
}
