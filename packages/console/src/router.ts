/** Views live in the URL fragment (`#/messages?status=failed`), so links and reloads keep them. */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments after `#/`, decoded. */
  readonly parts: string[];
  readonly query: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', q = ''] = hash.split('?', 2);
  return { parts: path.split('/').filter(Boolean).map(decodePart), query: new URLSearchParams(q) };
}

/** A path segment decoded; one with a bad %-escape (a hand-made or hostile link) is kept as it is, not a page that fails to render. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** A fragment link. */
export function href(parts: string[], query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

export function navigate(to: string): void {
  location.hash = to;
}
