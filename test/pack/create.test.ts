import * as fs from 'node:fs';
import * as path from 'node:path';
import { extract } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  getcapText, gnuTarExtract, libcapBytes, once, pythonTarMembers, requireOracles, runPack, runPackProcess, scratchDir, SETCAP, xattrHex,
} from './helpers';
import { execFileSync } from 'node:child_process';

const dir = scratchDir('create');
const app = path.join(dir, 'app');
test.before.each(once(() => {
  requireOracles();
  fs.copyFileSync('/bin/busybox', app);
  fs.chmodSync(app, 0o755);
  fs.utimesSync(app, 1_700_000_000, 1_700_000_000);
}));

/** Texts from REFERENCE §3 plus bytes above 0x7f (cap_setuid is bit 7; all sets 0xff). */
const TEXTS = [
  'cap_net_bind_service=ep', 'CAP_NET_RAW+ep', 'all=ep', '=ep', '=', '', 'cap_net_raw=e', '41=ep', '63=ep',
  'all=ep cap_sys_admin-ep', 'cap_chown=p+e-p', 'cap_setuid,cap_setgid=ep', 'cap_sys_admin,cap_checkpoint_restore=pi',
  'cap_dac_override=i', 'cap_chown,cap_fowner+eip',
];

/** tar-stream as the second, independent reader of structure and content (it cannot read binary pax values faithfully). */
async function tarStreamEntries(file: string): Promise<{ name: string; type: string; mode: number; uid: number; gid: number; mtime: number; data: Buffer }[]> {
  const entries: { name: string; type: string; mode: number; uid: number; gid: number; mtime: number; data: Buffer }[] = [];
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
      stream.on('end', () => {
        entries.push({ name: header.name, type: header.type ?? '', mode: header.mode ?? 0, uid: header.uid ?? -1, gid: header.gid ?? -1,
          mtime: (header.mtime?.getTime() ?? 0) / 1000, data: Buffer.concat(chunks) });
        next();
      });
      stream.resume();
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  reader.end(fs.readFileSync(file));
  await done;
  return entries;
}

test('the pax record holds the bytes libcap setcap writes, for every text', () => {
  TEXTS.forEach((text, index) => {
    const out = path.join(dir, `t${index}.tar`);
    const run = runPack(['--output', out, text, `${app}:/app`]);
    assert.is(run.status, 0, `${JSON.stringify(text)}: ${run.stderr}`);
    const file = pythonTarMembers(out).find((member) => member.name === 'app');
    assert.ok(file, 'entry app');
    assert.is(file!.pax['SCHILY.xattr.security.capability'], libcapBytes(text, dir), JSON.stringify(text));
  });
});

test('GNU tar extracts the capability: getcap and the raw xattr match a libcap-set file', () => {
  for (const text of ['cap_net_bind_service=ep', 'all=ep cap_sys_admin-ep', 'cap_setuid,cap_setgid=ep', '63=ep', '=']) {
    const out = path.join(dir, 'x.tar');
    assert.is(runPack(['--output', out, text, `${app}:/usr/local/bin/nc`]).status, 0);
    const root = gnuTarExtract(out, path.join(dir, `x-${Math.random().toString(36).slice(2)}`));
    const extracted = path.join(root, 'usr/local/bin/nc');
    const reference = path.join(dir, 'reference');
    fs.copyFileSync(app, reference);
    execFileSync(SETCAP, [text, reference]);
    assert.is(xattrHex(extracted), xattrHex(reference), text);
    assert.is(getcapText(extracted), getcapText(reference), text);
    assert.ok(fs.readFileSync(extracted).equals(fs.readFileSync(app)), 'content');
  }
});

test('layout: parent directories root:root 0755, the file with its mode, owner 0:0, content intact (read by tar-stream)', async () => {
  const out = path.join(dir, 'layout.tar');
  assert.is(runPack(['--output', out, 'cap_net_raw=ep', `${app}:/usr/local/bin/nc`, 'cap_chown=ep', `${app}:usr/local/sbin/other`]).status, 0);
  const entries = await tarStreamEntries(out);
  assert.equal(entries.map((entry) => `${entry.type} ${entry.name} ${entry.mode.toString(8)} ${entry.uid}:${entry.gid}`), [
    'directory usr/ 755 0:0', 'directory usr/local/ 755 0:0', 'directory usr/local/bin/ 755 0:0', 'file usr/local/bin/nc 755 0:0',
    'directory usr/local/sbin/ 755 0:0', 'file usr/local/sbin/other 755 0:0',
  ]);
  assert.ok(entries[3]!.data.equals(fs.readFileSync(app)));
  assert.is(entries[3]!.mtime, 1_700_000_000, 'mtime is the source mtime');
  assert.is(entries[0]!.mtime, 1_700_000_000, 'directories: the newest source mtime');
  // Tar overhead: 3 directory headers, a pax header + its data block, the file header, padding, the end marker.
  assert.ok(fs.statSync(out).size - 2 * fs.statSync(app).size <= 16 * 512);
});

test('options: --mode, --owner, --mtime, --no-parents, DEST ending in /', () => {
  const out = path.join(dir, 'options.tar');
  const run = runPack(['--mode', '4750', '--owner', '1000:2000', '--mtime', '1234567890', '--no-parents', '--output', out,
    'cap_net_raw=ep', `${app}:/opt/bin/`]);
  assert.is(run.status, 0, run.stderr);
  const members = pythonTarMembers(out);
  assert.equal(members.map((member) => member.name), ['opt/bin/app']);
  assert.equal([members[0]!.mode, members[0]!.uid, members[0]!.gid, members[0]!.mtime], [0o4750, 1000, 2000, 1234567890]);
});

test('SOURCE_DATE_EPOCH gives byte-identical tars whatever the source mtime', () => {
  const first = path.join(dir, 'r1.tar');
  const second = path.join(dir, 'r2.tar');
  assert.is(runPack(['--output', first, 'cap_net_raw=ep', `${app}:/usr/bin/app`], { env: { SOURCE_DATE_EPOCH: '1000000000' } }).status, 0);
  fs.utimesSync(app, 1_800_000_000, 1_800_000_000);
  assert.is(runPack(['--output', second, 'cap_net_raw=ep', `${app}:/usr/bin/app`], { env: { SOURCE_DATE_EPOCH: '1000000000' } }).status, 0);
  fs.utimesSync(app, 1_700_000_000, 1_700_000_000);
  assert.ok(fs.readFileSync(first).equals(fs.readFileSync(second)));
  assert.ok(pythonTarMembers(first).every((member) => member.mtime === 1000000000));
});

test('--output - writes the tar to stdout, in process and through a pipe', () => {
  const file = path.join(dir, 'file.tar');
  assert.is(runPack(['--mtime', '1', '--output', file, 'cap_net_raw=ep', `${app}:/app`]).status, 0);
  const run = runPack(['--mtime', '1', '--output', '-', 'cap_net_raw=ep', `${app}:/app`]);
  assert.is(run.status, 0, run.stderr);
  assert.ok(run.stdout.equals(fs.readFileSync(file)));
  const piped = runPackProcess(['--mtime', '1', '-o', '-', 'cap_net_raw=ep', `${app}:/app`]);
  assert.is(piped.status, 0, piped.stderr);
  assert.ok(piped.stdout.equals(fs.readFileSync(file)));
});

test('names longer than ustar holds and non-ASCII names travel in a pax path record', () => {
  const long = `/${'d'.repeat(120)}/${'f'.repeat(110)}`;
  const out = path.join(dir, 'long.tar');
  const run = runPack(['--output', out, 'cap_net_raw=ep', `${app}:${long}`, 'cap_chown=ep', `${app}:/bin/café`]);
  assert.is(run.status, 0, run.stderr);
  const root = gnuTarExtract(out, path.join(dir, 'long'));
  assert.is(getcapText(path.join(root, long)), 'cap_net_raw=ep');
  assert.is(getcapText(path.join(root, 'bin/café')), 'cap_chown=ep');
});

/** Each: arguments, text the message must contain. */
const FAILURES: [string[], string[]][] = [
  [['cap_foo=ep', `${app}:/app`], ['pair 1', 'cap_foo']],
  [['cap_net_raw=ep', `${app}:/a`, 'cap_net_raw=ex', `${app}:/b`], ['pair 2', 'cap_net_raw=ex']],
  [['cap_chown,cap_kill=ep cap_kill-e', `${app}:/app`], ['pair 1', 'cannot be stored on a file']],
  [['=+ep', `${app}:/app`], ['pair 1', '=+']],
  [['64=ep', `${app}:/app`], ['pair 1', '64']],
  [['cap_net_raw=ep', `${dir}/missing:/app`], ['pair 1', 'missing', 'no such file']],
  [['cap_net_raw=ep', `${dir}:/app`], ['pair 1', 'not a regular file']],
  [['cap_net_raw=ep', `${app}:/../etc/app`], ['pair 1', "'..'"]],
  [['cap_net_raw=ep', `${app}:/.`], ['pair 1', 'root']],
  [['cap_net_raw=ep', app], ['pair 1', 'SOURCE:DEST']],
  [['cap_net_raw=ep', `${app}:/a`, 'cap_chown=ep', `${app}:a`], ['pair 2', 'already given by pair 1']],
  [['cap_net_raw=ep', `${app}:/a`, 'cap_chown=ep', `${app}:/a/b`], ['pair 2', 'directory']],
  [['cap_net_raw=ep'], ['has no SOURCE:DEST']],
  [['-n', '1000', 'cap_net_raw=ep', `${app}:/app`], ['-n ROOTID', 'revision']],
  [['--mode', '9', 'cap_net_raw=ep', `${app}:/app`], ['--mode']],
  [['--owner', 'root', 'cap_net_raw=ep', `${app}:/app`], ['--owner']],
  [['--frobnicate', 'cap_net_raw=ep', `${app}:/app`], ['unknown option']],
];

test('bad input: exit 1, a message naming the pair and the token, no output and no temporary file', () => {
  for (const [args, expected] of FAILURES) {
    const outDir = scratchDir('fail');
    const out = path.join(outDir, 'out.tar');
    const run = runPack(['--output', out, ...args]);
    assert.is(run.status, 1, args.join(' '));
    for (const part of expected) assert.ok(run.stderr.includes(part), `${args.join(' ')}: ${JSON.stringify(run.stderr)} lacks ${part}`);
    assert.equal(fs.readdirSync(outDir), [], `${args.join(' ')} left files`);
    fs.rmSync(outDir, { recursive: true });
  }
});

test('a failure leaves an existing output as it was; SOURCE_DATE_EPOCH must be a number; --output is required', () => {
  const out = path.join(dir, 'kept.tar');
  fs.writeFileSync(out, 'before');
  assert.is(runPack(['--output', out, 'cap_net_raw=ep', `${app}:/a`, 'bogus', `${app}:/b`]).status, 1);
  assert.is(fs.readFileSync(out, 'utf8'), 'before');
  const epoch = runPack(['--output', out, 'cap_net_raw=ep', `${app}:/a`], { env: { SOURCE_DATE_EPOCH: 'yesterday' } });
  assert.is(epoch.status, 1);
  assert.ok(epoch.stderr.includes('SOURCE_DATE_EPOCH'));
  assert.is(fs.readFileSync(out, 'utf8'), 'before');
  const noOutput = runPack(['cap_net_raw=ep', `${app}:/a`]);
  assert.is(noOutput.status, 1);
  assert.ok(noOutput.stderr.includes('--output'));
  const stdoutFailure = runPack(['--output', '-', 'cap_net_raw=ep', `${app}:/a`, 'cap_nope=ep', `${app}:/b`]);
  assert.is(stdoutFailure.status, 1);
  assert.is(stdoutFailure.stdout.length, 0, 'nothing on stdout');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
