// The words for what went wrong with a file, shared by every command that touches
// security.capability (setcap, getcap -v checks, and later emit/pack). Each message names the
// file first, then what is wrong with it in terms of the kernel rule that was hit.
import { joinText, type FileName } from './file-names';
import { strerror } from './strerror';

// include/uapi/linux/stat.h
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

// include/uapi/asm-generic/errno-base.h, errno.h
export const EPERM = 1;
export const ENOENT = 2;
export const ENXIO = 6;
export const EACCES = 13;
export const ENOTDIR = 20;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EROFS = 30;
export const ENAMETOOLONG = 36;
export const ELOOP = 40;
export const ENODATA = 61;
export const EOPNOTSUPP = 95;
export const EDQUOT = 122;

/** "a directory", "a FIFO (named pipe)" ...: what a file type is called, from st_mode. */
export function describeFileType(mode: number): string {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'a regular file';
    case S_IFDIR:
      return 'a directory';
    case S_IFLNK:
      return 'a symbolic link';
    case S_IFIFO:
      return 'a FIFO (named pipe)';
    case S_IFCHR:
      return 'a character device';
    case S_IFBLK:
      return 'a block device';
    case S_IFSOCK:
      return 'a socket';
    default:
      return `a file of unknown type (mode 0${(mode >>> 0).toString(8)})`;
  }
}

export type XattrAction = 'set' | 'remove' | 'get';

export interface XattrErrorContext {
  /** The path as the user gave it (its bytes when it is not UTF-8). */
  path: FileName;
  /** What was being done to its security.capability. */
  action: XattrAction;
  /** Positive errno. */
  errno: number;
  /** Where it failed: opening the file ('open'), its type check ('type'), reading or writing the attribute. */
  stage?: 'open' | 'fstat' | 'type' | 'get' | 'set' | 'remove';
  /** st_mode of the file when known (fstat of the opened file, or lstat after a failed open). */
  mode?: number;
  /** Where a symbolic link points, when the file is one. */
  linkTarget?: string;
}

const ACTION_VERB: Readonly<Record<XattrAction, string>> = {
  set: 'set its capabilities',
  remove: 'remove its capabilities',
  get: 'read its capabilities',
};

/**
 * One line, without the program name: `PATH: what is wrong[; what to do]`.
 * A file capability lives in the security.capability attribute of a regular file's inode;
 * writing it needs CAP_SETFCAP over the file's owner (cap_convert_nscap in the kernel).
 */
export function describeXattrError(context: XattrErrorContext & { path: string }): string;
export function describeXattrError(context: XattrErrorContext): string | Buffer;
export function describeXattrError(context: XattrErrorContext): string | Buffer {
  return joinText(context.path, `: ${describeProblem(context)}`);
}

function describeProblem({ action, errno, stage, mode, linkTarget }: XattrErrorContext): string {
  const isLink = mode !== undefined && (mode & S_IFMT) === S_IFLNK;
  if (isLink || (stage === 'open' && errno === ELOOP && linkTarget !== undefined)) {
    const target = linkTarget === undefined ? '' : ` (to ${linkTarget})`;
    return `is a symbolic link${target}; capabilities are set on the link's target file, name it instead`;
  }
  if (stage === 'type' || (mode !== undefined && (mode & S_IFMT) !== S_IFREG && stage === 'open')) {
    if (mode !== undefined) {
      return `not a regular file: it is ${describeFileType(mode)}; file capabilities exist only on regular files`;
    }
    return 'not a regular file; file capabilities exist only on regular files';
  }
  switch (errno) {
    case ENOENT:
      return 'no such file or directory';
    case ENOTDIR:
      return 'a component of the path is not a directory';
    case ELOOP:
      // O_NOFOLLOW refuses a final symlink with ELOOP; when lstat no longer sees one, the name was
      // swapped while the tool ran (or the directories on the path loop).
      return stage === 'open'
        ? 'was a symbolic link when opened (it changed while the tool ran, or the path loops); nothing is set through a symbolic link'
        : 'too many levels of symbolic links in the path';
    case ENAMETOOLONG:
      return 'file name too long';
    case EACCES:
      return stage === 'open'
        ? 'permission denied (a directory on the path is not searchable, or the file is not readable)'
        : `permission denied: cannot ${ACTION_VERB[action]}`;
    case EPERM:
      return action === 'get'
        ? `operation not permitted: cannot ${ACTION_VERB[action]}`
        : `not permitted to ${ACTION_VERB[action]}: writing file capabilities needs CAP_SETFCAP ` +
            "(run as root; in a user namespace, the file's owner must be mapped into it)";
    case EROFS:
      return `is on a read-only file system: cannot ${ACTION_VERB[action]}`;
    case EOPNOTSUPP:
      return 'its file system does not support security.capability (no extended attributes there)';
    case ENODATA:
      return action === 'remove' ? 'has no capability to remove' : 'has no capability';
    case ENOSPC:
    case EDQUOT:
      return `no room for the attribute: cannot ${ACTION_VERB[action]} (${strerror(errno)})`;
    case EINVAL:
      return action === 'get'
        ? `cannot ${ACTION_VERB[action]} (${strerror(errno)})`
        : `the kernel refused the capability attribute: cannot ${ACTION_VERB[action]} (${strerror(errno)})`;
    default:
      return `cannot ${ACTION_VERB[action]}: ${strerror(errno)}`;
  }
}
