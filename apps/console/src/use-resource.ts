import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads what `load` returns, again whenever `key` changes or `reload()` is called, and every
 * `pollMs` while `poll` says so (live progress). A poll waits for the previous answer, so a slow
 * API is never asked twice at once; an answer for an old key is dropped.
 */
export function useResource<T>(
  load: () => Promise<T>,
  key: string,
  options: { pollMs?: number; poll?: (data: T) => boolean } = {},
): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const shownKey = useRef(key);
  const loader = useRef(load);
  loader.current = load;
  const pollOptions = useRef(options);
  pollOptions.current = options;

  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const data = await loader.current();
        if (!current) return;
        setState({ data, loading: false });
        const { pollMs, poll } = pollOptions.current;
        if (pollMs && (!poll || poll(data))) timer = setTimeout(run, pollMs);
      } catch (error) {
        if (current) setState((previous) => ({ data: previous.data, error: error as Error, loading: false }));
      }
    };
    // A reload or a poll keeps what is on screen; another key (a new filter, another page) must
    // not show the previous key's data as its own.
    const sameKey = shownKey.current === key;
    shownKey.current = key;
    setState((previous) => ({ data: sameKey ? previous.data : undefined, loading: true }));
    void run();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
