// Docker platform names -> the code generator for that machine.
import { backends } from '../native/arch';
import type { Backend } from '../native/program';

/**
 * The platforms `emit --arch` accepts, as `docker build --platform` names them (the `linux/`
 * prefix is optional). arm/v6 and arm/v7 share one program: it uses only ARMv6 A32 instructions.
 */
export const PLATFORMS = {
  amd64: backends.x86_64,
  arm64: backends.aarch64,
  'arm/v7': backends.arm,
  'arm/v6': backends.arm,
  '386': backends.i386,
  ppc64le: backends.ppc64le,
  s390x: backends.s390x,
  riscv64: backends.riscv64,
} as const satisfies Record<string, Backend>;

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
