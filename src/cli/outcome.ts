// What a command reports back to `main`: its exit status, and whether it did everything that was
// asked of it (only then may the program delete itself: never after a failure, a help text or a
// partial result).

export interface CommandOutcome {
  status: number;
  /** Every requested operation succeeded (not a help or license text, not a usage error). */
  completed: boolean;
}

/** A failure, or a text that was asked for instead of an operation: exit `status`, no self-delete. */
export function stopped(status: number): CommandOutcome {
  return { status, completed: false };
}

/** Everything asked was done. */
export const COMPLETED: CommandOutcome = Object.freeze({ status: 0, completed: true });

/** For a command that only returns an exit status: 0 counts as completed. */
export function fromStatus(status: number): CommandOutcome {
  return { status, completed: status === 0 };
}
