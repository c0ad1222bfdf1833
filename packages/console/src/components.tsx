/** Small shared pieces of the views. */
import type { ComponentChildren } from 'preact';
import type { ConsoleWebhookDelivery } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { absolute, precise, relative } from './format';

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
  return (
    <div class="empty" role="status" data-empty>
      {children}
    </div>
  );
}

/** One clock for every relative time on the page: a tick every 15 s while any is shown. */
const tickers = new Set<(now: number) => void>();
let ticker: ReturnType<typeof setInterval> | null = null;

function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    tickers.add(setNow);
    ticker ??= setInterval(() => {
      const t = Date.now();
      for (const l of tickers) l(t);
    }, 15_000);
    return () => {
      tickers.delete(setNow);
      if (!tickers.size && ticker) {
        clearInterval(ticker);
        ticker = null;
      }
    };
  }, []);
  return now;
}

/**
 * A timestamp, readable: "5 min. ago" (or, with `exact`, the local time to the millisecond), with
 * the full local date, time and zone — and the other form — on hover and for screen readers.
 */
export function Time({ iso, exact }: { iso: string | null; exact?: boolean }) {
  const now = useNow();
  if (!iso) return <span class="muted">—</span>;
  const rel = relative(iso, now);
  const full = absolute(iso);
  return (
    <time dateTime={iso} title={exact ? `${rel} · ${full}` : full} data-time={iso}>
      {exact ? precise(iso) : rel}
    </time>
  );
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
