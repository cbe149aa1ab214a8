// inspectArgv0 and exitWithErrno as the x86_64 and aarch64 code generators emit them, against GNU
// as. Linked so that every address field is zero, as GNU as leaves them before relocation: on
// x86_64 each slot sits right at the end of the rip-relative mov that stores it, on aarch64 in the
// code's own page at offset 0. (The other five backends: test/emit/encoders.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aarch64 } from '../../src/native/arch/aarch64';
import { x86_64 } from '../../src/native/arch/x86_64';
import type { Backend, Instruction } from '../../src/native/program';
import { assemble, hex } from './assembler';

const POINTER = { symbol: 'pointer', offset: 0 };
const SELF_DELETE = { symbol: 'selfDelete', offset: 0 };

/** The bytes `backend` generates for `code`, linked at 0 with each symbol at the given address. */
function generated(backend: Backend, code: Instruction[], symbols: Record<string, number> = {}): Uint8Array {
  return backend.generate(code).link(0, (symbol) => symbols[symbol] ?? 0);
}

test('x86_64 inspectArgv0 and exitWithErrno', () => {
  const prologue = assemble('x86_64', `
    mov 8(%rsp), %rax
    mov %rax, 0(%rip)
    xor %edx, %edx
    test %rax, %rax
    je 1f
    mov %rax, %rcx
  2: movzbl (%rax), %esi
    inc %rax
    cmp $0x2f, %esi
    cmove %rax, %rcx
    test %esi, %esi
    jne 2b
    cmpb $0x21, (%rcx)
    sete %dl
  1: mov %rdx, 0(%rip)`);
  // mov %rax,pointer(%rip) ends at 12, mov %rdx,selfDelete(%rip) at 0x34: zero displacements
  const ours = generated(x86_64, [{ op: 'inspectArgv0', pointer: POINTER, selfDelete: SELF_DELETE }], { pointer: 12, selfDelete: 0x34 });
  assert.is(hex(ours), hex(prologue));
  const epilogue = assemble('x86_64', 'neg %rax\nmov %eax, %edi\nmov $231, %eax\nsyscall');
  assert.is(hex(generated(x86_64, [{ op: 'exitWithErrno' }])), hex(epilogue));
});

test('aarch64 inspectArgv0 and exitWithErrno', () => {
  const prologue = assemble('aarch64', `
    ldr x0, [sp, #8]
    adrp x9, .
    str x0, [x9]
    mov x2, #0
    cbz x0, 1f
    mov x1, x0
  2: ldrb w3, [x0], #1
    cmp w3, #0x2f
    csel x1, x0, x1, eq
    cbnz w3, 2b
    ldrb w3, [x1]
    cmp w3, #0x21
    cset x2, eq
  1: adrp x9, .
    str x2, [x9]`);
  assert.is(hex(generated(aarch64, [{ op: 'inspectArgv0', pointer: POINTER, selfDelete: SELF_DELETE }])), hex(prologue));
  const epilogue = assemble('aarch64', 'neg x0, x0\nmov x8, #94\nsvc #0');
  assert.is(hex(generated(aarch64, [{ op: 'exitWithErrno' }])), hex(epilogue));
});

test.run();
