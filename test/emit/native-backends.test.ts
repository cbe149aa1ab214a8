// The fixed x86_64 / aarch64 sequences that src/emit/native-backends.ts puts around the native
// engineer's code generators, against GNU as (address fields assemble as zero, as before link()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NATIVE_SNIPPETS } from '../../src/emit/native-backends';
import { assemble, hex } from './assembler';

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
  assert.is(hex(NATIVE_SNIPPETS.x86_64.prologue), hex(prologue));
  const epilogue = assemble('x86_64', 'neg %rax\nmov %eax, %edi\nmov $231, %eax\nsyscall');
  assert.is(hex(NATIVE_SNIPPETS.x86_64.epilogue), hex(epilogue));
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
  assert.is(hex(NATIVE_SNIPPETS.aarch64.prologue), hex(prologue));
  const epilogue = assemble('aarch64', 'neg x0, x0\nmov x8, #94\nsvc #0');
  assert.is(hex(NATIVE_SNIPPETS.aarch64.epilogue), hex(epilogue));
});

test.run();
