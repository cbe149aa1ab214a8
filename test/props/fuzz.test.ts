// The libcap differential fuzzer at CI size: 2,000 generated texts against the real setcap/getcap.
// `npm run fuzz` runs the full 50,000+.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { formatReport, runFuzz } from '../../fuzz/libcap';

test('our parse/encode/format agree with libcap setcap/getcap on 2,000 generated texts', async () => {
  for (const tool of ['setcap', 'getcap', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      assert.unreachable(`${tool} is missing: install libcap2-bin (setcap/getcap 2.66) and python3`);
    }
  }
  const report = await runFuzz({ cases: Number(process.env.FUZZ_CASES ?? 2000), seed: Number(process.env.FUZZ_SEED ?? 7) });
  console.log(formatReport(report, 10));
  assert.ok(report.accepted > report.cases / 5, `only ${report.accepted} texts accepted: the generator drifted`);
  assert.ok(report.refused > report.cases / 5, `only ${report.refused} texts refused: the generator drifted`);
  assert.is(report.mismatches.length, 0, formatReport(report, 10));
});

test.run();
