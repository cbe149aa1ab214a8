// Turns a failed xattr outcome into its message, looking at the path again (lstat, readlink)
// only in this error path: to tell a symbolic link (O_NOFOLLOW's ELOOP) from a loop in the
// directories above it, and to say what kind of file an open refused.
import * as fs from 'node:fs';
import type { XattrOutcome } from '../native/xattr';
import type { FileName } from './file-names';
import { describeXattrError, S_IFLNK, S_IFMT, type XattrAction } from './messages';

export function describeOutcomeError(path: string, action: XattrAction, error: NonNullable<XattrOutcome['error']>, mode?: number): string;
export function describeOutcomeError(path: FileName, action: XattrAction, error: NonNullable<XattrOutcome['error']>, mode?: number): string | Buffer;
export function describeOutcomeError(
  path: FileName,
  action: XattrAction,
  error: NonNullable<XattrOutcome['error']>,
  mode?: number,
): string | Buffer {
  let linkTarget: string | undefined;
  if (error.stage === 'open' && mode === undefined) {
    try {
      mode = fs.lstatSync(path).mode;
      if ((mode & S_IFMT) === S_IFLNK) linkTarget = fs.readlinkSync(path);
    } catch {
      // gone, or not even lstat-able: the open's errno says why
    }
  }
  return describeXattrError({ path, action, errno: error.errno, stage: error.stage, mode, linkTarget });
}
