// A one-shot run: invoked as "/!NAME" (argv[0] as typed, e.g. RUN ["/!setcap-static", ...] in a
// Dockerfile) or run from a file whose name starts with "!", the program removes its own file
// once everything asked of it has succeeded, so an image layer keeps no copy of it. Linux lets a
// running program unlink its file: the inode lives on until the process exits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliEnv } from './env';

export function wantsSelfDelete(env: Pick<CliEnv, 'invokedName' | 'programPath'>): boolean {
  return env.invokedName.startsWith('/!') || path.basename(env.programPath).startsWith('!');
}

/** Removes the program file; a message, or undefined when it is gone. */
export function deleteProgramFile(programPath: string): string | undefined {
  try {
    fs.unlinkSync(programPath);
    return undefined;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return `everything asked succeeded, but deleting the program file ${programPath} failed: ${code ?? message}`;
  }
}
