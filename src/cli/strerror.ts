// What glibc's strerror(3) prints for the errors a file operation can meet: libcap's setcap and
// getcap put these texts in their messages ("... (No such file or directory)"), and getcap's
// output is matched byte for byte. Node's own texts (libuv's) are worded differently.

const GLIBC_MESSAGES: Readonly<Record<number, string>> = {
  1: 'Operation not permitted', // EPERM
  2: 'No such file or directory', // ENOENT
  4: 'Interrupted system call', // EINTR
  5: 'Input/output error', // EIO
  6: 'No such device or address', // ENXIO
  7: 'Argument list too long', // E2BIG
  9: 'Bad file descriptor', // EBADF
  11: 'Resource temporarily unavailable', // EAGAIN
  12: 'Cannot allocate memory', // ENOMEM
  13: 'Permission denied', // EACCES
  14: 'Bad address', // EFAULT
  16: 'Device or resource busy', // EBUSY
  17: 'File exists', // EEXIST
  18: 'Invalid cross-device link', // EXDEV
  19: 'No such device', // ENODEV
  20: 'Not a directory', // ENOTDIR
  21: 'Is a directory', // EISDIR
  22: 'Invalid argument', // EINVAL
  23: 'Too many open files in system', // ENFILE
  24: 'Too many open files', // EMFILE
  26: 'Text file busy', // ETXTBSY
  27: 'File too large', // EFBIG
  28: 'No space left on device', // ENOSPC
  30: 'Read-only file system', // EROFS
  34: 'Numerical result out of range', // ERANGE
  36: 'File name too long', // ENAMETOOLONG
  38: 'Function not implemented', // ENOSYS
  40: 'Too many levels of symbolic links', // ELOOP
  61: 'No data available', // ENODATA
  75: 'Value too large for defined data type', // EOVERFLOW
  95: 'Operation not supported', // EOPNOTSUPP
  116: 'Stale file handle', // ESTALE
  117: 'Structure needs cleaning', // EUCLEAN
  121: 'Remote I/O error', // EREMOTEIO
  122: 'Disk quota exceeded', // EDQUOT
};

/** glibc's strerror(errno) for a positive errno; "Unknown error N" (glibc's words) for one not listed. */
export function strerror(errno: number): string {
  return GLIBC_MESSAGES[errno] ?? `Unknown error ${errno}`;
}

/** The errno numbers strerror knows by text (for tests against the C library). */
export const KNOWN_ERRNOS: readonly number[] = Object.keys(GLIBC_MESSAGES).map(Number);
