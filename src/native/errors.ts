/** Thrown when the helper program cannot be written or run, or died (signal) before reporting. */
export class NativeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NativeError';
  }
}
