const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A credential that never prints itself: console.log, util.inspect,
 * JSON.stringify and string interpolation all show `[redacted]`. The value is
 * in a private field, so no enumeration reaches it either.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself, for the one place that sends it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [INSPECT](): string {
    return 'Secret([redacted])';
  }
}

export { INSPECT };
