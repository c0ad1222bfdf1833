/** A console list read page by page, newest first. */
import type { ConsolePage } from '@switchboard/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api, query } from './api';

type Params = Record<string, string | number | undefined | null>;

/**
 * Rows a live list keeps on screen: additions from the feed push the oldest out (they stay
 * reachable through "Load older"), so a tab left open on a busy project does not grow without end.
 */
export const MAX_ROWS = 200;

/**
 * The newest page of `path` with `params`, loaded again when they or `reloadKey` change, and
 * `loadOlder` to append the next page. `setRows`/`setNext` let live updates change what is shown;
 * `loaded` says the rows are those of the current params (false while a new filter loads).
 */
export function usePagedList<T>(path: string, params: Params, reloadKey: number) {
  const q = query(params);
  const [rows, setRows] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  // The query the rows were read for: until it is `q`, the rows are those of the last filters.
  const [loadedQuery, setLoadedQuery] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setLoading(true);
    api<ConsolePage<T>>(`${path}${q}`)
      .then((page) => {
        if (!live) return;
        setRows(page.data);
        setNext(page.next);
        setError(null);
        setLoadedQuery(q);
      })
      .catch((err) => live && setError(err))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, q, reloadKey]);

  async function loadOlder() {
    if (!next) return;
    try {
      const page = await api<ConsolePage<T>>(`${path}${query({ ...params, before: next })}`);
      setRows((r) => [...r, ...page.data]);
      setNext(page.next);
    } catch (err) {
      setError(err);
    }
  }

  return { rows, setRows, next, setNext, error, loading, loaded: loadedQuery === q, loadOlder };
}
