/**
 * Which run of a job this is, as the job runner tells every handler: the retry decision of a use
 * case (retry later, or fail now) depends on it. One declaration for the worker and the use cases.
 */
export interface JobAttempt {
  /** 1 for the first run of the job. */
  number: number;
  /** No retry follows this run: a transient error now ends in `failed`. */
  final: boolean;
}
