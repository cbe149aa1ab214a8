// x86_64 and aarch64 for emit: the native engineer's code generators (src/native/arch/x86_64.ts,
// aarch64.ts) know the IR of src/native/program.ts but not inspectArgv0 / exitWithErrno
// (src/emit/instructions.ts). Until those two instructions move into them, this wraps each one:
// inspectArgv0 must be the first instruction (a fixed prologue before the backend's code) and
// exitWithErrno the last (a fixed epilogue right after it, reached by jumps to the label that
// precedes it). The sequences below are what GNU as assembles for the text in the comments
// (test/emit/native-backends.test.ts checks that against x86_64-linux-gnu-as and aarch64-linux-gnu-as).
import { aarch64 } from '../native/arch/aarch64';
import { x86_64 } from '../native/arch/x86_64';
import type { Backend, Instruction, Slot } from '../native/program';
import type { EmitBackend, EmitInstruction } from './instructions';

/** A fixed sequence with the addresses of the two inspectArgv0 slots patched in. */
interface Snippet {
  bytes: readonly number[];
  /** Where each slot reference sits and how to patch it (target address, address of the snippet byte). */
  patches: { at: number; slot: 'pointer' | 'selfDelete'; patch: (view: DataView, at: number, target: number, here: number) => void }[];
}

/** A rip-relative disp32 field at `at` that ends its instruction. */
function ripRelative(view: DataView, at: number, target: number, here: number): void {
  view.setInt32(at, target - (here + 4), true);
}

/** x86_64 inspectArgv0: rax = argv[0]; rdx = (basename starts with '!'). */
const X86_64_PROLOGUE: Snippet = {
  bytes: [
    0x48, 0x8b, 0x44, 0x24, 0x08, //       mov    0x8(%rsp),%rax      argv[0]: rsp points at argc at entry
    0x48, 0x89, 0x05, 0, 0, 0, 0, //       mov    %rax,pointer(%rip)
    0x31, 0xd2, //                         xor    %edx,%edx            no self-delete by default
    0x48, 0x85, 0xc0, //                   test   %rax,%rax            argv[0] may be NULL
    0x74, 0x1a, //                         je     done
    0x48, 0x89, 0xc1, //                   mov    %rax,%rcx            start of the last component
    0x0f, 0xb6, 0x30, //             loop: movzbl (%rax),%esi
    0x48, 0xff, 0xc0, //                   inc    %rax
    0x83, 0xfe, 0x2f, //                   cmp    $0x2f,%esi           '/'
    0x48, 0x0f, 0x44, 0xc8, //             cmove  %rax,%rcx
    0x85, 0xf6, //                         test   %esi,%esi
    0x75, 0xef, //                         jne    loop
    0x80, 0x39, 0x21, //                   cmpb   $0x21,(%rcx)         '!'
    0x0f, 0x94, 0xc2, //                   sete   %dl
    0x48, 0x89, 0x15, 0, 0, 0, 0, //  done: mov    %rdx,selfDelete(%rip)
  ],
  patches: [
    { at: 8, slot: 'pointer', patch: ripRelative },
    { at: 0x30, slot: 'selfDelete', patch: ripRelative },
  ],
};

/** x86_64 exitWithErrno. */
const X86_64_EPILOGUE = [
  0x48, 0xf7, 0xd8, //       neg    %rax
  0x89, 0xc7, //             mov    %eax,%edi
  0xb8, 0xe7, 0x00, 0x00, 0x00, // mov $231,%eax   exit_group
  0x0f, 0x05, //             syscall
];

const le32 = (word: number) => [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24];

/** adrp x9, page(target) at `at`; str xN, [x9, #lo12] at at + 4 (8-byte scaled). */
function adrpStr(view: DataView, at: number, target: number, here: number): void {
  const pages = Math.floor(target / 4096) - Math.floor(here / 4096);
  const adrp = view.getUint32(at, true) | ((pages & 3) << 29) | (((pages >> 2) & 0x7ffff) << 5);
  view.setUint32(at, adrp >>> 0, true);
  const str = view.getUint32(at + 4, true) | (((target % 4096) / 8) << 10);
  view.setUint32(at + 4, str >>> 0, true);
}

/** aarch64 inspectArgv0: x0 = argv[0]; x2 = (basename starts with '!'). */
const AARCH64_PROLOGUE: Snippet = {
  bytes: [
    0xf94007e0, //       ldr   x0, [sp, #8]        argv[0]: sp points at argc at entry
    0x90000009, //       adrp  x9, pointer
    0xf9000120, //       str   x0, [x9, :lo12:pointer]
    0xd2800002, //       mov   x2, #0              no self-delete by default
    0xb4000120, //       cbz   x0, done            argv[0] may be NULL
    0xaa0003e1, //       mov   x1, x0              start of the last component
    0x38401403, // loop: ldrb  w3, [x0], #1
    0x7100bc7f, //       cmp   w3, #0x2f           '/'
    0x9a810001, //       csel  x1, x0, x1, eq
    0x35ffffa3, //       cbnz  w3, loop
    0x39400023, //       ldrb  w3, [x1]
    0x7100847f, //       cmp   w3, #0x21           '!'
    0x9a9f17e2, //       cset  x2, eq
    0x90000009, // done: adrp  x9, selfDelete
    0xf9000122, //       str   x2, [x9, :lo12:selfDelete]
  ].flatMap(le32),
  patches: [
    { at: 4, slot: 'pointer', patch: adrpStr },
    { at: 0x34, slot: 'selfDelete', patch: adrpStr },
  ],
};

const AARCH64_EPILOGUE = [
  0xcb0003e0, // neg x0, x0
  0xd2800bc8, // mov x8, #94   exit_group
  0xd4000001, // svc #0
].flatMap(le32);

function wrap(backend: Backend, prologue: Snippet, epilogue: readonly number[]): EmitBackend {
  return {
    ...backend,
    generate(instructions: readonly EmitInstruction[]) {
      const [first, ...rest] = instructions;
      if (first?.op !== 'inspectArgv0') throw new Error(`${backend.name}: inspectArgv0 must be the first instruction`);
      const last = rest.pop();
      if (last?.op !== 'exitWithErrno') throw new Error(`${backend.name}: exitWithErrno must be the last instruction`);
      const body = rest.map((instruction) => {
        if (instruction.op === 'inspectArgv0' || instruction.op === 'exitWithErrno') {
          throw new Error(`${backend.name}: ${instruction.op} only as the first/last instruction`);
        }
        return instruction as Instruction;
      });
      const slots: Record<'pointer' | 'selfDelete', Slot> = { pointer: first.pointer, selfDelete: first.selfDelete };
      const generated = backend.generate(body);
      const size = prologue.bytes.length + generated.size + epilogue.length;
      return {
        size,
        link(codeAddress, symbolAddress) {
          const out = new Uint8Array(size);
          out.set(prologue.bytes, 0);
          const view = new DataView(out.buffer);
          for (const { at, slot, patch } of prologue.patches) {
            patch(view, at, symbolAddress(slots[slot].symbol) + slots[slot].offset, codeAddress + at);
          }
          out.set(generated.link(codeAddress + prologue.bytes.length, symbolAddress), prologue.bytes.length);
          out.set(epilogue, prologue.bytes.length + generated.size);
          return out;
        },
      };
    },
  };
}

export const x86_64Emit = wrap(x86_64, X86_64_PROLOGUE, X86_64_EPILOGUE);
export const aarch64Emit = wrap(aarch64, AARCH64_PROLOGUE, AARCH64_EPILOGUE);
/** For the encoding test. */
export const NATIVE_SNIPPETS = {
  x86_64: { prologue: X86_64_PROLOGUE.bytes, epilogue: X86_64_EPILOGUE },
  aarch64: { prologue: AARCH64_PROLOGUE.bytes, epilogue: AARCH64_EPILOGUE },
};
