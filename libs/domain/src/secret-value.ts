import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret held in memory. It prints as `[REDACTED]` everywhere (logs, JSON, errors,
 * `util.inspect`), so the only way to the value is an explicit, greppable `reveal()`.
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  equals(other: SecretValue): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
