// Scratch space and clean-up shared by every test suite: directories on the root filesystem
// (/var/tmp, ext4 here: xattrs and exec work, readdir order is hash order rather than creation
// order, and the fault runner's private /tmp cannot hide them), removed when the process exits
// together with anything else a test registers (unmounts, killed helpers).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const SCRATCH_ROOT = '/var/tmp';

const cleanups: (() => void)[] = [];
process.on('exit', () => {
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup();
    } catch {
      // best effort at exit
    }
  }
});

/** Registers something to undo when the process exits, in reverse order of registration. */
export function atExit(cleanup: () => void): void {
  cleanups.push(cleanup);
}

/** A fresh directory `/var/tmp/setcap-static-WHAT-XXXXXX`, removed when the process exits. */
export function scratchDir(what: string): string {
  const dir = mkdtempSync(join(SCRATCH_ROOT, `setcap-static-${what}-`));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
