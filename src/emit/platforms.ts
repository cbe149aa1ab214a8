// Docker platform names -> the code generator for that machine.
import { arm } from '../native/arch/arm';
import { i386 } from '../native/arch/i386';
import { ppc64le } from '../native/arch/ppc64le';
import { riscv64 } from '../native/arch/riscv64';
import { s390x } from '../native/arch/s390x';
import type { EmitBackend } from './instructions';
import { aarch64Emit, x86_64Emit } from './native-backends';

/**
 * The platforms `emit --arch` accepts, as `docker build --platform` names them (the `linux/`
 * prefix is optional). arm/v6 and arm/v7 share one program: it uses only ARMv6 A32 instructions.
 */
export const PLATFORMS = {
  amd64: x86_64Emit,
  arm64: aarch64Emit,
  'arm/v7': arm,
  'arm/v6': arm,
  '386': i386,
  ppc64le,
  s390x,
  riscv64,
} as const satisfies Record<string, EmitBackend>;

export type PlatformName = keyof typeof PLATFORMS;

/** The platform names in the order messages list them (object keys would put '386' first). */
export const PLATFORM_NAMES: readonly PlatformName[] = ['amd64', 'arm64', 'arm/v7', 'arm/v6', '386', 'ppc64le', 's390x', 'riscv64'];

/** Aliases people type for the same platforms. */
const ALIASES: Record<string, PlatformName> = {
  'arm64/v8': 'arm64',
  arm: 'arm/v7',
  x86_64: 'amd64',
  aarch64: 'arm64',
  i386: '386',
};

/** The platform for `--arch` text, or undefined. */
export function platformFromName(text: string): PlatformName | undefined {
  const name = text.toLowerCase().replace(/^linux\//, '');
  if (Object.prototype.hasOwnProperty.call(PLATFORMS, name)) return name as PlatformName;
  return ALIASES[name];
}
