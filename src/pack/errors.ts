/** A pack failure to report to the user: bad arguments, unreadable sources, a malformed or unsuitable input tar. */
export class PackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackError';
  }
}
