/** Log in with a project ID and an API token, or with one click on a zero-config development server. */
import type { ConsoleSession } from '@switchboard/protocol';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Field, fieldError } from '../components';

export function Login({ devLogin, onLogin }: { devLogin: boolean; onLogin: (s: ConsoleSession) => void }) {
  const [projectId, setProjectId] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function run(call: () => Promise<ConsoleSession>) {
    setBusy(true);
    setError(null);
    try {
      onLogin(await call());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="login">
      <form
        class="card login-card"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api<ConsoleSession>('/api/console/login', { body: { project_id: projectId, api_token: token }, quiet401: true }));
        }}
      >
        <h1>
          <span class="logo" aria-hidden="true">
            ☎
          </span>{' '}
          Switchboard
        </h1>
        <p class="muted">Log in with your project ID and an API token. The token is checked once and never stored in the browser.</p>
        {devLogin ? (
          <>
            <button type="button" class="primary wide" disabled={busy} data-action="dev-login" onClick={() => void run(() => api<ConsoleSession>('/api/console/dev-login', { method: 'POST' }))}>
              Dev login
            </button>
            <p class="hint">Offered because this server runs on its zero-config defaults on this machine.</p>
            <div class="or">or</div>
          </>
        ) : null}
        <ErrorBox error={error} fieldsShown={['project_id', 'api_token']} />
        <Field label="Project ID" error={fieldError(error, 'project_id')}>
          <input name="project_id" autoComplete="username" value={projectId} onInput={(e) => setProjectId(e.currentTarget.value)} />
        </Field>
        <Field label="API token" error={fieldError(error, 'api_token')}>
          <input name="api_token" type="password" autoComplete="current-password" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </Field>
        <button type="submit" class={devLogin ? 'wide' : 'primary wide'} disabled={busy} data-action="login">
          Log in
        </button>
      </form>
    </div>
  );
}
