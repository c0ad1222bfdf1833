/** Small shared pieces of the views. */
import type { ComponentChildren } from 'preact';
import type { ConsoleWebhookDelivery } from '@switchboard/protocol';
import { ApiError } from './api';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {status}
    </span>
  );
}

/** A failed call, in words; field messages show next to their fields instead. */
export function ErrorBox({ error, fieldsShown = [] }: { error: unknown; fieldsShown?: string[] }) {
  if (!error) return null;
  const messages = error instanceof ApiError ? error.messages.filter((m) => !fieldsShown.some((f) => error.fields[f] === m)) : [String((error as Error).message ?? error)];
  if (!messages.length) return null;
  return (
    <div class="error-box" role="alert">
      {messages.map((m) => (
        <div key={m}>{m}</div>
      ))}
    </div>
  );
}

/** The message for one field of a failed call. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fields[field] : undefined;
}

export function Field({ label, error, children, hint }: { label: string; error?: string | undefined; hint?: string; children: ComponentChildren }) {
  return (
    <label class={`field${error ? ' invalid' : ''}`}>
      <span class="label">{label}</span>
      {children}
      {error ? <span class="field-error">{error}</span> : hint ? <span class="hint">{hint}</span> : null}
    </label>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Card({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      <header>
        <h2>{title}</h2>
        {actions ? <div class="actions">{actions}</div> : null}
      </header>
      <div class="card-body">{children}</div>
    </section>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>;
}

/** A webhook delivery's attempts, out of its cap when it has one (`max_attempts` 0: retried until its window closes). */
export function Attempts({ d }: { d: Pick<ConsoleWebhookDelivery, 'attempts' | 'max_attempts'> }) {
  return d.max_attempts ? (
    <span>
      {d.attempts}/{d.max_attempts}
    </span>
  ) : (
    <span title="Retried until its retry window closes">{d.attempts}</span>
  );
}
