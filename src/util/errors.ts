/**
 * An error caused by the user's input (a file, a flag, a config value). The CLI prints its
 * message as one line on stderr and exits non-zero, without a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Throws a UserError when the condition is false (narrowing like `assert`). */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UserError(typeof message === 'function' ? message() : message);
}
