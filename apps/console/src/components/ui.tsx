import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Resource } from '../use-resource';
import { STATE_WORDS } from '../words';

/** The page's heading, focused when the page opens so screen readers announce the new view. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={heading}>
      {children}
    </h1>
  );
}

export function StateBadge({ state }: { state: string }) {
  return (
    <span class={`badge state-${state}`} title={STATE_WORDS[state]}>
      {state.replace('_', ' ')}
    </span>
  );
}

export function ErrorNotice({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <div class="notice error" role="alert">
      <strong>{error instanceof ApiError ? `${error.status}${error.code ? ` ${error.code}` : ''}: ` : ''}</strong>
      {error.message}
      {error instanceof ApiError && error.errors.length > 0 && (
        <ul>
          {error.errors.map((item) => (
            <li key={item.path}>
              <code>{item.path}</code> {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Loading, error, then the content; an error keeps the last data on screen (polling). */
export function Loaded<T>({ resource, children }: { resource: Resource<T>; children: (data: T) => ComponentChildren }) {
  return (
    <>
      <ErrorNotice error={resource.error} />
      {resource.data === undefined ? (
        resource.loading ? (
          <p aria-live="polite">Loading…</p>
        ) : null
      ) : (
        children(resource.data)
      )}
    </>
  );
}

/** A button whose action runs once at a time and whose failure is shown next to it. */
export function ActionButton({
  label,
  action,
  confirm,
  kind = 'secondary',
}: {
  label: string;
  action: () => Promise<unknown>;
  confirm?: string;
  kind?: 'primary' | 'secondary' | 'danger';
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const run = async () => {
    if (confirm && !window.confirm(confirm)) return;
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" class={kind} disabled={busy} aria-busy={busy} onClick={run}>
        {label}
      </button>
      <ErrorNotice error={error} />
    </span>
  );
}

/** Counts per state as one stacked bar, with the numbers in text for everyone. */
export function ProgressBar({ counts, total }: { counts: Record<string, number>; total: number }) {
  const entries = Object.entries(counts).filter(([, count]) => count > 0);
  const summary = entries.map(([state, count]) => `${count} ${state.replace('_', ' ')}`).join(', ');
  return (
    <div class="progress">
      <div class="bar" role="img" aria-label={`${total} registrations: ${summary}`}>
        {entries.map(([state, count]) => (
          <span key={state} class={`segment state-${state}`} style={{ flexGrow: count }} />
        ))}
      </div>
      <ul class="legend">
        {entries.map(([state, count]) => (
          <li key={state}>
            <span class={`swatch state-${state}`} aria-hidden="true" /> {state.replace('_', ' ')}:{' '}
            <strong data-state={state}>{count}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Pager({ nextCursor, onNext }: { nextCursor: string | null; onNext: (cursor: string) => void }) {
  if (!nextCursor) return null;
  return (
    <button type="button" class="secondary" onClick={() => onNext(nextCursor)}>
      Next page
    </button>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}
