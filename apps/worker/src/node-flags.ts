/**
 * Node.js flags of every worker process: `npm run start:worker` (package.json repeats them),
 * `npm start`, the benchmarks and the fault tests all start the worker with these.
 *
 * Why a heap cap: V8 sizes its heap limit from the machine's memory (about 4 GB on a 24 GB
 * host without a container limit) and then grows the heap lazily, so a busy worker whose live
 * heap is under 100 MB still reached 320 MB of RSS in `bench:onboarding`. With a 256 MB limit V8
 * collects sooner: the same run peaks at about 200 MB with the same throughput and CPU per
 * registration (measured with 96, 128, 192 and 256; README, Operations). In a container with a
 * memory limit Node derives the limit from it instead; set this flag to about half of that limit.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=256'];
