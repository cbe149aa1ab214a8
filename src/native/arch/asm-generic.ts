// The kernel's architecture-independent uapi values (include/uapi/asm-generic/), which an
// architecture uses unless its own asm/ header overrides them.

import type { OpenFlag, SyscallName } from '../program';

/** include/uapi/asm-generic/unistd.h: the table of arm64, riscv and every newer port (fstat is __NR3264_fstat). */
export const ASM_GENERIC_SYSCALLS: Readonly<Record<SyscallName, number>> = {
  fsetxattr: 7,
  fgetxattr: 10,
  fremovexattr: 16,
  unlinkat: 35,
  openat: 56,
  write: 64,
  fstat: 80,
  exit_group: 94,
};

/**
 * include/uapi/asm-generic/fcntl.h. arm, arm64 and powerpc override O_NOFOLLOW (with
 * O_DIRECTORY, O_DIRECT, O_LARGEFILE) in their asm/fcntl.h; x86, s390 and riscv do not.
 */
export const ASM_GENERIC_OPEN_FLAGS: Readonly<Record<OpenFlag, number>> = {
  O_RDONLY: 0,
  O_NOCTTY: 0o400,
  O_NONBLOCK: 0o4000,
  O_NOFOLLOW: 0o400000,
  O_CLOEXEC: 0o2000000,
};
