// The architecture-independent description of a helper program (the IR) and the contract every
// code generator (src/native/arch/<name>.ts) implements.
//
// A program is straight-line code over three kinds of storage:
//   - data: initialised bytes (paths, attribute names, values), read-only by convention;
//   - bss: zeroed memory, named areas of any size (8-byte aligned); a *slot* is 8 bytes inside one,
//     written by `save`/`store` and read by a `slot` operand or `load`;
//   - the *result register*: what the last `syscall`, `load` or `loadMode` produced.
//
// BACKEND CONTRACT (what a new architecture file must do; see x86_64.ts and aarch64.ts):
//   1. Export a Backend object: the ELF identity (class, endianness, e_machine, e_flags), the
//      syscall number of every SyscallName (from the kernel's table for that architecture), the
//      value of every OpenFlag (they differ: O_NOFOLLOW is 0o400000 on x86_64, 0o100000 on arm64;
//      arch/asm-generic.ts holds the values an architecture takes unless its asm/ headers differ),
//      and the byte offset of st_mode in the struct the `fstat` syscall fills (for 32-bit
//      architectures map 'fstat' to fstat64 and give struct stat64's offset).
//   2. generate(instructions) translates each Instruction in order with these semantics:
//      - syscall: load each argument into the ABI's argument registers (an `imm`, the address of a
//        data/bss `addr`, or the 8-byte word stored in a `slot`), trap into the kernel, then leave
//        the result in the result register NORMALISED to the Linux convention: >= 0 on success,
//        -errno on failure (ppc64 returns +errno with CR0.SO set: the backend negates it there).
//        If `save` is given, store the result as a sign-extended 8-byte word, in the
//        architecture's byte order, at that slot.
//      - load: result register = the word at the slot. store: slot = an immediate (sign-extended
//        to 8 bytes). loadMode: result register = the u32 st_mode at the backend's offset in the
//        stat buffer, zero-extended, and saved to `save` if given.
//      - jumpIfNegative / jumpIfEqual / jumpIfNotRegularFile test the result register and do not
//        change it. jumpIfNotRegularFile jumps when (result & S_IFMT) != S_IFREG.
//      - inspectArgv0: only as the FIRST instruction executed. At process entry the stack pointer
//        still points at argc, with argv[0] right after it (a pointer, NULL when execve got an
//        empty argv). Stores argv[0] in `pointer` and, in `selfDelete`, 1 when the byte after the
//        last '/' of argv[0] (its first byte when there is no '/') is '!', else 0: a one-shot
//        setter is run as `/!set`, `./!set` or `!set` through a PATH lookup. Both slots hold
//        zero-extended words (an address is unsigned): a 32-bit backend may store the low word
//        only, since nothing can have written the high word, still the bss zero, before it.
//      - exitWithErrno: exit_group(-result). Reached by a jump after a failed syscall, whose
//        result register holds -errno, so the exit status is the errno itself (the kernel keeps
//        the low 8 bits; every errno Linux defines is below 256).
//      - Branch targets may be megabytes away (one program serves 10,000 files): use sequences
//        that reach the whole image (e.g. an inverted short branch over a long one).
//      - The code's SIZE must not depend on any address: addresses are patched in by link() once
//        the ELF layout is known (GeneratedCode, built with the helpers in arch/code.ts).
//      - Every register except the result register may be clobbered by any instruction.
//      - 32-bit architectures: a slot still holds 8 bytes (the 32-bit value and its sign word, in
//        the architecture's byte order); a `slot` operand or `load` reads the 32-bit value.
//      - The stat buffer is STAT_BUFFER_SIZE bytes, 8-aligned; data and bss items are 8-aligned.
//   3. Register it in arch/index.ts (and ArchName) and under its docker platform name in
//      src/emit/platforms.ts with its runner in test/emit/helpers.ts: the emit tests then run the
//      contract (backends.test.ts) and the setter (setter.test.ts, rollback.test.ts, many.test.ts)
//      on it. Adding it to ARCHES in test/native/helpers.ts with its qemu-<arch>-static emulator
//      runs test/native/arch.test.ts, batch.test.ts and xattr.test.ts (the report mode) too.
// Errno values the programs compare with (ENODATA = 61) are asm-generic's, shared by x86, arm,
// arm64, ppc, s390 and riscv (not by alpha, mips, parisc, sparc).
// The program never falls off its end: the last instruction executed is exit_group, as a syscall or
// as exitWithErrno.

/** Syscalls a helper may make. Each backend maps them to its numbers. */
export type SyscallName =
  | 'openat'
  | 'fstat'
  | 'fgetxattr'
  | 'fsetxattr'
  | 'fremovexattr'
  | 'write'
  | 'unlinkat'
  | 'exit_group';

/** open(2) flags the programs use; their values are per architecture (asm/fcntl.h). */
export type OpenFlag = 'O_RDONLY' | 'O_NOFOLLOW' | 'O_NONBLOCK' | 'O_NOCTTY' | 'O_CLOEXEC';

/** An 8-byte, 8-aligned word inside a bss area. */
export interface Slot {
  symbol: string;
  offset: number;
}

export type Operand =
  /** A signed integer that fits in 32 bits. */
  | { kind: 'imm'; value: number }
  /** The OR of open flags, as the target architecture defines them. */
  | { kind: 'openFlags'; flags: readonly OpenFlag[] }
  /** The address of a data or bss symbol plus an offset. */
  | { kind: 'addr'; symbol: string; offset?: number }
  /** The word stored in a slot. */
  | { kind: 'slot'; slot: Slot };

export type Instruction =
  | { op: 'label'; name: string }
  | { op: 'syscall'; name: SyscallName; args: readonly Operand[]; save?: Slot }
  | { op: 'load'; slot: Slot }
  | { op: 'store'; slot: Slot; value: number }
  | { op: 'loadMode'; stat: string; save?: Slot }
  | { op: 'jumpIfNegative'; target: string }
  | { op: 'jumpIfEqual'; value: number; target: string }
  | { op: 'jumpIfNotRegularFile'; target: string }
  | { op: 'jump'; target: string }
  | { op: 'inspectArgv0'; pointer: Slot; selfDelete: Slot }
  | { op: 'exitWithErrno' };

export interface Program {
  code: Instruction[];
  /** Initialised data, each item placed 8-aligned. */
  data: { name: string; bytes: Uint8Array }[];
  /** Zeroed areas, each placed 8-aligned. */
  bss: { name: string; size: number }[];
}

/** The largest struct stat (or stat64) any supported architecture's fstat fills: x86_64, ppc64 and s390x use 144 bytes. */
export const STAT_BUFFER_SIZE = 256;
/** File type bits of st_mode (linux/stat.h). */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
/** openat(2) with this directory descriptor resolves relative paths against the working directory. */
export const AT_FDCWD = -100;

/** Architectures as `uname -m` names them (Debian's for 32-bit x86 and arm: i386, arm). */
export type ArchName = 'x86_64' | 'aarch64' | 'arm' | 'i386' | 'ppc64le' | 's390x' | 'riscv64';

export interface Backend {
  name: ArchName;
  elfClass: 32 | 64;
  endian: 'little' | 'big';
  /** e_machine */
  machine: number;
  /** e_flags */
  elfFlags: number;
  syscalls: Readonly<Record<SyscallName, number>>;
  openFlags: Readonly<Record<OpenFlag, number>>;
  /** Offset of st_mode in the buffer the fstat syscall fills. */
  statModeOffset: number;
  generate(code: readonly Instruction[]): GeneratedCode;
}

/** Machine code whose size is final and whose addresses are patched in by link(). */
export interface GeneratedCode {
  size: number;
  link(codeAddress: number, symbolAddress: (symbol: string) => number): Uint8Array;
}
