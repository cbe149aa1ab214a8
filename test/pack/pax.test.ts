import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodePaxRecords, encodePaxRecord, encodePaxRecords, PAX_CAPABILITY_KEY, withPaxRecord } from '../../src/pack/pax';
import { decodeUstarHeader, encodeUstarHeader, REGTYPE, splitUstarName } from '../../src/pack/ustar';
import { once, requireOracles, scratchDir, SETCAP } from './helpers';

const dir = scratchDir('pax');
test.before.each(once(requireOracles));

/** The data of the first pax header ('x') in a tar, as raw bytes. */
function firstPaxData(tar: Buffer): Buffer {
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = decodeUstarHeader(tar.subarray(offset, offset + 512));
    const data = tar.subarray(offset + 512, offset + 512 + header.size);
    if (header.typeflag === 0x78) return Buffer.from(data);
    offset += 512 + Math.ceil(header.size / 512) * 512;
  }
  throw new Error('no pax header');
}

test('the capability record is byte-identical to the one GNU tar writes for a libcap-set file', () => {
  for (const text of ['cap_net_bind_service=ep', 'all=ep', 'cap_setuid=ep', '=']) {
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    execFileSync(SETCAP, [text, file]);
    const tar = execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=security.capability', '-cf', '-', '-C', dir, 'f']);
    const records = decodePaxRecords(firstPaxData(tar));
    const record = records.find((candidate) => candidate.key === PAX_CAPABILITY_KEY);
    assert.ok(record, `GNU tar wrote no capability record for ${text}`);
    const value = Buffer.from(execFileSync('python3', ['-c', "import os,sys; sys.stdout.buffer.write(os.getxattr(sys.argv[1], 'security.capability'))", file]));
    assert.ok(Buffer.from(record!.value).equals(value), text);
    assert.ok(encodePaxRecord(PAX_CAPABILITY_KEY, value).equals(Buffer.from(record!.raw!)), text);
    // Every record GNU tar wrote (atime, ctime, ...) comes back byte for byte.
    assert.ok(encodePaxRecords(records.map(({ key, value: v }) => ({ key, value: v }))).equals(firstPaxData(tar)));
  }
});

test('record lengths at the digit boundaries agree with Python tarfile', () => {
  // Values of every length around 9/10, 99/100, 999/1000 total record bytes, binary content.
  const lengths = [0, 1, 2, 3, 4, 5, 80, 81, 82, 83, 84, 85, 86, 87, 975, 976, 977, 978, 979, 980];
  for (const length of lengths) {
    const value = Buffer.alloc(length, 0xff);
    for (let i = 0; i < length; i++) value[i] = (i * 37) & 0xff;
    const out = path.join(dir, 'py.tar');
    execFileSync('python3', ['-c', `
import sys, tarfile, io
value = bytes.fromhex(sys.argv[2]).decode('utf-8', 'surrogateescape')
info = tarfile.TarInfo('f'); info.pax_headers = {'SCHILY.xattr.user.x': value}
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t: t.addfile(info, io.BytesIO(b''))
`, out, value.toString('hex')]);
    const python = firstPaxData(fs.readFileSync(out));
    const ours = encodePaxRecord('SCHILY.xattr.user.x', value);
    const decoded = decodePaxRecords(python);
    const pythonRecord = decoded.find((record) => record.key === 'SCHILY.xattr.user.x');
    assert.ok(pythonRecord, `length ${length}`);
    assert.ok(Buffer.from(pythonRecord!.raw!).equals(ours), `length ${length}`);
  }
});

test('withPaxRecord replaces in place, keeps the other records raw, appends when absent', () => {
  const data = Buffer.concat([encodePaxRecord('mtime', Buffer.from('1.5')), encodePaxRecord(PAX_CAPABILITY_KEY, Buffer.from([1, 0, 0, 2])),
    encodePaxRecord('atime', Buffer.from('2'))]);
  const replaced = withPaxRecord(decodePaxRecords(data), PAX_CAPABILITY_KEY, Buffer.from([0xff]));
  assert.equal(replaced.map((record) => record.key), ['mtime', PAX_CAPABILITY_KEY, 'atime']);
  assert.equal([...replaced[1]!.value], [0xff]);
  const appended = withPaxRecord(decodePaxRecords(encodePaxRecord('path', Buffer.from('a'))), PAX_CAPABILITY_KEY, Buffer.from([1]));
  assert.equal(appended.map((record) => record.key), ['path', PAX_CAPABILITY_KEY]);
});

test('malformed pax data is refused, NUL padding ends the records', () => {
  assert.throws(() => decodePaxRecords(Buffer.from('x path=a\n')));
  assert.throws(() => decodePaxRecords(Buffer.from('99 path=a\n')));
  assert.throws(() => decodePaxRecords(Buffer.from('9 patha\n\n')));
  assert.is(decodePaxRecords(Buffer.concat([Buffer.from('9 path=a\n'), Buffer.alloc(20)])).length, 1);
});

test('ustar headers: GNU tar reads ours, ours reads GNU tar\'s, long names split at a slash', () => {
  const name = `${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(90)}`;
  assert.equal(splitUstarName(name), { prefix: `${'a'.repeat(60)}/${'b'.repeat(60)}`, name: 'c'.repeat(90) });
  assert.is(splitUstarName('x'.repeat(101)), null);
  assert.is(splitUstarName('é'), null);
  const header = encodeUstarHeader({ name, mode: 0o4755, uid: 1000, gid: 1001, size: 3, mtime: 1234567890, typeflag: REGTYPE });
  const tar = Buffer.concat([header, Buffer.from('abc'), Buffer.alloc(509 + 1024)]);
  const file = path.join(dir, 'ustar.tar');
  fs.writeFileSync(file, tar);
  const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], { encoding: 'utf8', env: { TZ: 'UTC' } });
  assert.equal(listing.trim().split(/\s+/), ['-rwsr-xr-x', '1000/1001', '3', '2009-02-13', '23:31:30', name]);
  const gnu = execFileSync('tar', ['--format=ustar', '--owner=7:7', '--group=8:8', '--mtime=@99', '-cf', '-', '-C', dir, 'ustar.tar']);
  const decoded = decodeUstarHeader(gnu.subarray(0, 512));
  assert.equal([decoded.name, decoded.uid, decoded.gid, decoded.mtime, decoded.size, decoded.format], ['ustar.tar', 7, 8, 99, tar.length, 'ustar']);
  const corrupt = Buffer.from(gnu.subarray(0, 512));
  corrupt[0] = corrupt[0]! ^ 1;
  assert.throws(() => decodeUstarHeader(corrupt), /checksum/);
});

test('why pax.ts exists: tar-stream writes pax values as UTF-8 (0xff becomes c3 bf); if this fails, tar-stream can do it', async () => {
  const { pack } = await import('tar-stream');
  const writer = pack();
  const chunks: Buffer[] = [];
  writer.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => writer.on('end', () => resolve()));
  const value = Buffer.from('01000002ffffffff00000000ff01000000000000', 'hex');
  writer.entry({ name: 'f', pax: { [PAX_CAPABILITY_KEY]: value.toString('latin1') } }, 'x');
  writer.finalize();
  await ended;
  const tar = Buffer.concat(chunks);
  const record = decodePaxRecords(firstPaxData(tar)).find((candidate) => candidate.key === PAX_CAPABILITY_KEY);
  assert.not.ok(Buffer.from(record!.value).equals(value));
  assert.ok(Buffer.from(record!.value).includes(Buffer.from([0xc3, 0xbf])));
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
