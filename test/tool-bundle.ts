// The program under test as users run it: the esbuild bundle of src/cli/bin.ts (what
// `npm run build` ships as dist/setcap-static.cjs), built once per test process.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as assert from 'uvu/assert';
import { scratchDir } from './scratch';

export const REPO = resolve(__dirname, '..');

let bundle: string | undefined;

/** The bundle's path; $SETCAP_STATIC_BUNDLE names a prebuilt one (e.g. dist/setcap-static.cjs) instead. */
export function toolBundle(): string {
  if (bundle) return bundle;
  if (process.env.SETCAP_STATIC_BUNDLE) return (bundle = resolve(process.env.SETCAP_STATIC_BUNDLE));
  const entry = join(REPO, 'src/cli/bin.ts');
  if (!existsSync(entry)) assert.unreachable('src/cli/bin.ts is missing: the CLI has not landed');
  const out = join(scratchDir('bundle'), 'setcap-static.cjs');
  execFileSync(
    join(REPO, 'node_modules/.bin/esbuild'),
    [entry, '--bundle', '--platform=node', '--target=node20', '--format=cjs', `--outfile=${out}`, '--log-level=error'],
    { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (!existsSync(out)) assert.unreachable('esbuild wrote no bundle');
  return (bundle = out);
}
