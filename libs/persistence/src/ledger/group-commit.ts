import type pg from 'pg';

/** Writes the entries of one kind in ONE statement (atomic by itself); one answer per entry, in order. */
export type BatchWriter<E, A> = (client: pg.PoolClient, entries: E[]) => Promise<A[]>;

export interface GroupCommitOptions {
  /** At most this many entries per transaction. */
  maxEntries: number;
  /** How long the first entry of a batch waits for others to join it. */
  maxWaitMs: number;
  /** Batches in flight at once (each holds one connection of the pool). */
  maxInFlight: number;
}

interface Pending<E, A> {
  kind: string;
  /** Entries with the same key never share a batch: a multi-row compare-and-set must see each row once. */
  key: string;
  entry: E;
  resolve: (answer: A) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: entries submitted by concurrently running jobs are collected for up to
 * `maxWaitMs` (or `maxEntries`) and written in ONE transaction, each kind by its writer in
 * multi-row statements. Each submitter's promise resolves after that transaction commits, so a
 * job that awaits it knows its step is durable. A batch that fails is rolled back and its
 * entries are written again one by one, each in its own transaction: one bad entry fails alone.
 */
export class GroupCommit {
  private queue: Pending<unknown, unknown>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly writers = new Map<string, BatchWriter<unknown, unknown>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: GroupCommitOptions,
  ) {}

  register<E, A>(kind: string, writer: BatchWriter<E, A>): void {
    this.writers.set(kind, writer as BatchWriter<unknown, unknown>);
  }

  submit<A>(kind: string, key: string, entry: unknown): Promise<A> {
    if (!this.writers.has(kind)) throw new Error(`no writer for ${kind}`);
    return new Promise<A>((resolve, reject) => {
      this.queue.push({ kind, key, entry, resolve: resolve as (answer: unknown) => void, reject });
      if (this.queue.length >= this.options.maxEntries) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length && this.inFlight < this.options.maxInFlight) {
      const batch = this.take();
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length) this.flush();
      });
    }
  }

  /** Up to `maxEntries` entries, one per key, in submission order; the rest wait for the next batch. */
  private take(): Pending<unknown, unknown>[] {
    const batch: Pending<unknown, unknown>[] = [];
    const rest: Pending<unknown, unknown>[] = [];
    const keys = new Set<string>();
    for (const pending of this.queue) {
      if (batch.length < this.options.maxEntries && !keys.has(pending.key)) {
        keys.add(pending.key);
        batch.push(pending);
      } else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }

  private async commit(batch: Pending<unknown, unknown>[]): Promise<void> {
    try {
      const answers = await this.write(batch);
      batch.forEach((pending, i) => pending.resolve(answers[i]));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One bad entry must not fail the others: each alone, in its own transaction.
      await Promise.all(batch.map((pending) => this.commit([pending])));
    }
  }

  /** One transaction (none needed for a single statement of one kind: it is atomic by itself). */
  private async write(batch: Pending<unknown, unknown>[]): Promise<unknown[]> {
    const byKind = new Map<string, number[]>();
    batch.forEach((pending, i) => byKind.set(pending.kind, [...(byKind.get(pending.kind) ?? []), i]));
    const client = await this.pool.connect();
    const explicit = byKind.size > 1;
    let failed = false;
    try {
      if (explicit) await client.query('BEGIN');
      const answers: unknown[] = [];
      for (const [kind, indexes] of byKind) {
        const written = await this.writers.get(kind)!(
          client,
          indexes.map((i) => batch[i]!.entry),
        );
        indexes.forEach((i, n) => (answers[i] = written[n]));
      }
      if (explicit) await client.query('COMMIT');
      return answers;
    } catch (error) {
      failed = true;
      if (explicit) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection whose rollback may not have run is not handed out again.
      client.release(failed && explicit ? true : undefined);
    }
  }
}
