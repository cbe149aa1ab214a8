// Every instruction encoder of the emit-only code generators against the GNU cross assembler
// (binutils-<triple>): same bytes for the same instruction text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as arm from '../../src/native/arch/arm';
import * as x86 from '../../src/native/arch/i386';
import * as ppc from '../../src/native/arch/ppc64le';
import * as rv from '../../src/native/arch/riscv64';
import * as z from '../../src/native/arch/s390x';
import { assemble, hex, TRIPLES } from './assembler';

type Case = [ours: number[], text: string];

const le = (...words: number[]) => words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);

/** Assembles each case on its own and compares. */
function check(name: keyof typeof TRIPLES, cases: Case[]): void {
  const failures: string[] = [];
  for (const [ours, text] of cases) {
    let bytes = assemble(name, text);
    // gas pads s390x sections to 4 bytes with nopr (07 07): not part of the instruction
    if (name === 's390x' && bytes.length > ours.length && bytes.subarray(ours.length).every((b) => b === 0x07)) bytes = bytes.subarray(0, ours.length);
    const theirs = hex(bytes);
    if (hex(ours) !== theirs) failures.push(`${text}: ours ${hex(ours)}, as ${theirs}`);
  }
  assert.equal(failures, [], failures.join('\n'));
}

test('arm (A32, ARMv6)', () => {
  check('arm', [
    [le(arm.armMovImm(0, 0)), 'mov r0, #0'],
    [le(arm.armMovImm(7, 0x140)), 'mov r7, #0x140'],
    [le(arm.armMovImm(2, 0xf000)), 'mov r2, #0xf000'],
    [le(arm.armMovImm(1, 0xff000000)), 'mov r1, #0xff000000'],
    [le(arm.armMvnImm(0, 99)), 'mvn r0, #99'],
    [le(arm.armOrrImm(7, 7, 2)), 'orr r7, r7, #2'],
    [le(arm.armAndImm(10, 0, 0xf000)), 'and r10, r0, #0xf000'],
    [le(arm.armAddImm(0, 0, 1)), 'add r0, r0, #1'],
    [le(arm.armSubImm(3, 4, 8)), 'sub r3, r4, #8'],
    [le(arm.armRsbImm(0, 0, 0)), 'rsb r0, r0, #0'],
    [le(arm.armCmpImm(10, 0x8000)), 'cmp r10, #0x8000'],
    [le(arm.armCmpImm(3, 0x2f)), 'cmp r3, #0x2f'],
    [le(arm.armCmpReg(0, 10)), 'cmp r0, r10'],
    [le(arm.armMovReg(1, 0)), 'mov r1, r0'],
    [le(arm.armMovReg(1, 0, arm.COND_EQ)), 'moveq r1, r0'],
    [le(arm.armMovImm(2, 1, arm.COND_EQ)), 'moveq r2, #1'],
    [le(arm.armMovAsr(10, 0, 31)), 'asr r10, r0, #31'],
    [le(arm.armLdr(0, 13, 4)), 'ldr r0, [sp, #4]'],
    [le(arm.armLdr(3, 15, 0x100)), 'ldr r3, [pc, #0x100]'],
    [le(arm.armLdr(0, 0, 16)), 'ldr r0, [r0, #16]'],
    [le(arm.armLdrb(3, 0, 0)), 'ldrb r3, [r0]'],
    [le(arm.armStr(10, 9, 4)), 'str r10, [r9, #4]'],
    [le(arm.armStr(0, 9, -4)), 'str r0, [r9, #-4]'],
    [le(arm.armSvc()), 'svc #0'],
    [le(arm.armBranch(0, 0x40)), 'b .+0x40'],
    [le(arm.armBranch(0x40, 0x10, arm.COND_NE)), '.space 0x40\nbne .-0x30'].map((v, i) => (i === 0 ? [...new Array(0x40).fill(0), ...(v as number[])] : v)) as Case,
    [le(arm.armBranch(0, 0x100, arm.COND_MI)), 'bmi .+0x100'],
    [le(...arm.armLoadImmediate(7, 322)), 'mov r7, #0x42\norr r7, r7, #0x100'],
    [le(...arm.armLoadImmediate(0, -100)), 'mvn r0, #99'],
    [le(...arm.armLoadImmediate(2, 0o100000 | 0o4000 | 0o400 | 0o2000000)), 'mov r2, #0x8900\norr r2, r2, #0x80000'],
  ]);
});

test('i386', () => {
  const { EAX, EBX, ECX, EDX, ESI, ESP, EBP } = x86;
  check('i386', [
    [x86.x86MovImm(EAX, 295), 'mov $295, %eax'],
    [x86.x86MovImm(EBX, 0), 'xor %ebx, %ebx'],
    [x86.x86MovImm32(ECX, 0x400078), 'mov $0x400078, %ecx'],
    [x86.x86MovImm(EBX, -100), 'mov $-100, %ebx'],
    [x86.x86MovReg(ECX, EAX), 'mov %eax, %ecx'],
    [x86.x86MovReg(EBX, EAX), 'mov %eax, %ebx'],
    [x86.x86Load(EAX, ESP, 4), 'mov 4(%esp), %eax'],
    [x86.x86Load(EDX, EBP, 0), 'mov 0(%ebp), %edx'],
    [x86.x86Load(ECX, EAX, 0x200), 'mov 0x200(%eax), %ecx'],
    [x86.x86Store(EAX, EBX, 8), 'mov %eax, 8(%ebx)'],
    [x86.x86LoadAbsolute(EBX, 0x401000), 'mov 0x401000, %ebx'],
    [x86.x86StoreAbsolute(EAX, 0x401000), 'mov %eax, (0x401000)'].map((v, i) => (i === 0 ? v : '.byte 0x89, 0x05\n.long 0x401000')) as Case,
    [x86.x86StoreAbsolute(EDX, 0x401004), 'mov %edx, 0x401004'],
    [x86.x86LoadByte(ESI, EAX), 'movzbl (%eax), %esi'],
    [x86.x86AndImm(ECX, 0xf000), 'and $0xf000, %ecx'],
    [x86.x86AndImm(EAX, 0xf000), 'and $0xf000, %eax'],
    [x86.x86CmpImm(ECX, 0x8000), 'cmp $0x8000, %ecx'],
    [x86.x86CmpImm(EAX, -61), 'cmp $-61, %eax'],
    [x86.x86CmpImm(ESI, 0x2f), 'cmp $0x2f, %esi'],
    [x86.x86Test(EAX), 'test %eax, %eax'],
    [x86.x86Neg(EAX), 'neg %eax'],
    [x86.x86Inc(EAX), 'inc %eax'],
    [x86.x86Int80(), 'int $0x80'],
    [x86.x86Cdq(), 'cltd'],
    [x86.x86Sete(EDX), 'sete %dl'],
    [x86.x86CmpByte(ECX, 0x21), 'cmpb $0x21, (%ecx)'],
    [x86.x86Jcc(x86.CC_S, 0, 0x1000, false), 'js .+0x1000'],
    [x86.x86Jcc(x86.CC_NE, 0, 0x10, true), 'jne .+0x10'],
    [x86.x86Jmp(0, 0x1000, false), 'jmp .+0x1000'],
  ]);
});

test('ppc64le', () => {
  check('ppc64le', [
    [le(ppc.ppcLi(3, -100)), 'li 3, -100'],
    [le(ppc.ppcAddi(3, 31, 0x123)), 'addi 3, 31, 0x123'],
    [le(ppc.ppcAddis(31, 0, 0x40)), 'lis 31, 0x40'],
    [le(ppc.ppcOri(31, 31, 0x8078)), 'ori 31, 31, 0x8078'],
    [le(ppc.ppcAndiDot(9, 3, 0xf000)), 'andi. 9, 3, 0xf000'],
    [le(ppc.ppcLwz(3, 31, -0x7000)), 'lwz 3, -0x7000(31)'],
    [le(ppc.ppcLbz(6, 3, 0)), 'lbz 6, 0(3)'],
    [le(ppc.ppcStw(3, 9, 8)), 'stw 3, 8(9)'],
    [le(ppc.ppcLd(3, 1, 8)), 'ld 3, 8(1)'],
    [le(ppc.ppcStd(5, 31, -0x7ff8)), 'std 5, -0x7ff8(31)'],
    [le(ppc.ppcCmpwi(6, 0x2f)), 'cmpwi 0, 6, 0x2f'],
    [le(ppc.ppcCmpdi(3, -61)), 'cmpdi 0, 3, -61'],
    [le(ppc.ppcCmplwi(9, 0x8000)), 'cmplwi 0, 9, 0x8000'],
    [le(ppc.ppcCmpd(3, 9)), 'cmpd 0, 3, 9'],
    [le(ppc.ppcNeg(3, 3)), 'neg 3, 3'],
    [le(ppc.ppcMr(4, 3)), 'mr 4, 3'],
    [le(ppc.ppcSc()), 'sc'],
    [le(ppc.ppcB(0, 0x2000)), 'b .+0x2000'],
    [le(ppc.ppcBc(ppc.BO_FALSE, ppc.CR0_SO, 0, 8)), 'bns 0, .+8'],
    [le(ppc.ppcBc(ppc.BO_TRUE, ppc.CR0_LT, 0, 0x100)), 'blt 0, .+0x100'],
    [le(ppc.ppcBc(ppc.BO_TRUE, ppc.CR0_EQ, 0, 0x40)), 'beq 0, .+0x40'],
    [le(ppc.ppcBc(ppc.BO_FALSE, ppc.CR0_EQ, 0, 0x40)), 'bne 0, .+0x40'],
    [le(...ppc.ppcLoadImmediate(2, 0o400 | 0o4000 | 0o100000 | 0o2000000)), 'lis 2, 0x8\nori 2, 2, 0x8900'],
    [le(...ppc.ppcLoadImmediate(2, -100000)), 'lis 2, -2\nori 2, 2, 0x7960'],
  ]);
});

test('s390x', () => {
  check('s390x', [
    [z.s390Lghi(2, -100), 'lghi %r2, -100'],
    [z.s390Lgfi(2, -100000), 'lgfi %r2, -100000'],
    [z.s390Llilf(3, 0x400100), 'llilf %r3, 0x400100'],
    [z.s390Lgr(3, 2), 'lgr %r3, %r2'],
    [z.s390Ltgr(2, 2), 'ltgr %r2, %r2'],
    [z.s390Lcgr(2, 2), 'lcgr %r2, %r2'],
    [z.s390Lg(2, 15, 8), 'lg %r2, 8(%r15)'],
    [z.s390Stg(2, 9, -8), 'stg %r2, -8(%r9)'],
    [z.s390Llgf(2, 9, 24), 'llgf %r2, 24(%r9)'],
    [z.s390Llgc(5, 2, 0), 'llgc %r5, 0(%r2)'],
    [z.s390Nilf(9, 0xf000), 'nilf %r9, 0xf000'],
    [z.s390Nill(9, 0xf000), 'nill %r9, 0xf000'],
    [z.s390Cghi(2, -61), 'cghi %r2, -61'],
    [z.s390Cgfi(2, -100000), 'cgfi %r2, -100000'],
    [z.s390Chi(5, 0x2f), 'chi %r5, 0x2f'],
    [z.s390Clfi(9, 0x8000), 'clfi %r9, 0x8000'],
    [z.s390Aghi(2, 1), 'aghi %r2, 1'],
    [z.s390Lr(9, 2), 'lr %r9, %r2'],
    [z.s390Ltr(5, 5), 'ltr %r5, %r5'],
    [z.s390Cli(3, 0, 0x21), 'cli 0(%r3), 0x21'],
    [z.s390Svc(0), 'svc 0'],
    [z.s390Svc(248), 'svc 248'],
    [z.s390Brc(z.MASK_LOW, 0, 0x40), 'brc 4, .+0x40'],
    [z.s390Brc(z.MASK_NOT_ZERO, 0, 0x10), 'brc 7, .+0x10'],
    [z.s390Brcl(z.MASK_ALWAYS, 0, 0x10000), 'brcl 15, .+0x10000'],
    [[...z.s390Lgrl(2).slice(0, 2), 0, 0, 0, 0x20], 'lgrl %r2, .+0x40'],
    [[...z.s390Stgrl(4).slice(0, 2), 0, 0, 0, 0x20], 'stgrl %r4, .+0x40'],
    [[...z.s390Llgfrl(2).slice(0, 2), 0, 0, 0, 0x20], 'llgfrl %r2, .+0x40'],
  ]);
});

test('riscv64 (RV64I, no compressed instructions)', () => {
  const { A0, A1, A2, A7, T0, T1, T2, SP, ZERO } = rv;
  check('riscv64', [
    [le(rv.rvAddi(A0, ZERO, -100)), 'addi a0, zero, -100'],
    [le(rv.rvAddi(A7, ZERO, 94)), 'li a7, 94'],
    [le(rv.rvAndi(T1, T1, 15)), 'andi t1, t1, 15'],
    [le(rv.rvSrli(T1, A0, 12)), 'srli t1, a0, 12'],
    [le(rv.rvAddiw(A2, A2, -0x700)), 'addiw a2, a2, -0x700'],
    [le(rv.rvLd(A0, SP, 8)), 'ld a0, 8(sp)'],
    [le(rv.rvLw(A0, A0, 16)), 'lw a0, 16(a0)'],
    [le(rv.rvLwu(A0, A0, 16)), 'lwu a0, 16(a0)'],
    [le(rv.rvLbu(T1, A0, 0)), 'lbu t1, 0(a0)'],
    [le(rv.rvSd(A2, T0, -8)), 'sd a2, -8(t0)'],
    [le(rv.rvSw(A0, T0, 0x7f0)), 'sw a0, 0x7f0(t0)'],
    [le(rv.rvLui(A2, 0x89)), 'lui a2, 0x89'],
    [le(rv.rvAuipc(T0, 0x1)), 'auipc t0, 0x1'],
    [le(rv.rvSub(A0, ZERO, A0)), 'sub a0, zero, a0'],
    [le(rv.rvAnd(A0, A1, A2)), 'and a0, a1, a2'],
    [le(rv.rvEcall()), 'ecall'],
    [le(rv.rvJalr(ZERO, T0, 0x10)), 'jalr zero, 0x10(t0)'],
    [le(rv.rvBranch(rv.BLT, A0, ZERO, 0, 0x100)), 'blt a0, zero, .+0x100'],
    [le(rv.rvBranch(rv.BNE, T1, T2, 0, 0xffe)), 'bne t1, t2, .+0xffe'],
    [le(rv.rvBranch(rv.BEQ, A0, T1, 0, 8)), 'beq a0, t1, .+8'],
    [le(rv.rvBranch(rv.BGE, A0, ZERO, 0, 12)), 'bge a0, zero, .+12'],
    [le(rv.rvJal(ZERO, 0, 0x12344)), 'jal zero, .+0x12344'],
    [le(...rv.rvLoadImmediate(A2, 0o400 | 0o4000 | 0o400000 | 0o2000000)), 'lui a2, 0xa1\naddiw a2, a2, -0x700'],
    [le(...rv.rvLoadImmediate(A0, -100000)), 'lui a0, 0xfffe8\naddiw a0, a0, -0x6a0'],
  ]);
});

test.run();
