/**
 * Node.js flags of every worker process: `npm run start:worker` (package.json repeats them),
 * `npm start`, the benchmarks and the fault tests all start the worker with these.
 *
 * Why a heap cap: V8 sizes its heap limit from the machine's memory (about 4 GB on a 24 GB
 * host without a container limit) and then grows the heap lazily, so a busy worker whose live
 * heap is under 100 MB still reached 320 MB of RSS in `bench:onboarding`. An idle worker is
 * about 165 MB (half of it code and the runtime, outside the heap), so the heap gets 160 MB.
 * In a container with a memory limit Node derives the limit from it instead; set this flag to
 * about half of that limit.
 *
 * Why a small young generation: a worker at full speed allocates fast, and V8 then grows each
 * semi-space to 16 MB (48 MB of young generation, committed for good). Objects of a job live
 * for milliseconds, so 4 MB semi-spaces collect them as well: `bench:onboarding` peaked at
 * 186 MB instead of 312 MB, at the same CPU per registration (3.2 against 3.0-3.1 ms, within
 * the run-to-run noise).
 *
 * Why `--liftoff-only`: Prisma 7's query compiler is a large WebAssembly module. V8 compiles it
 * once with its baseline compiler (Liftoff) and then again, in the background, with its optimising
 * one, which kept 60-100 MB more RSS for good (a worker went from ~200 to 255-274 MB peak in
 * `bench:onboarding`). The compiler runs only when a query shape is new (plans are cached), so
 * the optimised code buys nothing: with the flag the peak is back at 201 MB, same throughput.
 */
export const WORKER_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=160',
  '--max-semi-space-size=4',
  '--liftoff-only',
];
