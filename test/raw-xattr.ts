// security.capability read and written raw with python3's os.getxattr/os.setxattr: the bytes as
// the kernel holds them, bypassing both libcap and our code.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The Python that reads and writes raw attributes: Debian's own when present (a version-manager
 * shim on PATH, such as pyenv's, costs about 100 ms per start). $PYTHON overrides.
 */
export const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** security.capability of one path as hex (not following a final symlink), or null when it has none. */
export function readCapability(path: string): string | null {
  const out = execFileSync(
    PYTHON,
    ['-c', "import os,sys\ntry: print(os.getxattr(sys.argv[1],'security.capability',follow_symlinks=False).hex())\nexcept OSError as e: print('-' if e.errno in (61,95) else 'errno %d' % e.errno)", path],
    { encoding: 'utf8' },
  ).trim();
  return out === '-' ? null : out;
}

/** Writes raw security.capability bytes (hex) on a path, as a crafted starting state. */
export function writeCapability(path: string, hex: string): void {
  execFileSync(PYTHON, ['-c', "import os,sys; os.setxattr(sys.argv[1],'security.capability',bytes.fromhex(sys.argv[2]))", path, hex]);
}
