// readOptions: the long-option reader emit and pack share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readOptions, type OptionWord } from '../../src/cli/options';

function read(argv: string[]): { seen: [string, string, string][]; result: string[] | 'help' } {
  const seen: [string, string, string][] = [];
  const takesValue = new Set(['-o', '--output']);
  const result = readOptions(
    argv,
    ({ name, arg, value }: OptionWord) => void seen.push([name, arg, takesValue.has(name) ? value() : '']),
    (name) => new Error(`${name} needs a value`),
  );
  return { seen, result };
}

test('--name=value, --name value, -o value; positionals wherever they stand', () => {
  const { seen, result } = read(['a', '--output=x=y', 'b', '--output', 'z', '-o', '-', '--flag', 'c']);
  assert.equal(seen, [['--output', '--output=x=y', 'x=y'], ['--output', '--output', 'z'], ['-o', '-o', '-'], ['--flag', '--flag', '']]);
  assert.equal(result, ['a', 'b', 'c']);
});

test("'-' is a positional; after '--' everything is", () => {
  const { seen, result } = read(['-', '--', '-o', '--help', '--']);
  assert.equal(seen, []);
  assert.equal(result, ['-', '-o', '--help', '--']);
});

test('-h and --help stop the walk; options before them are read', () => {
  for (const help of ['-h', '--help']) {
    const { seen, result } = read(['--flag', help, '--output']);
    assert.equal(seen, [['--flag', '--flag', '']]);
    assert.is(result, 'help');
  }
});

test('a missing value throws the caller’s error, naming the option', () => {
  assert.throws(() => read(['x', '--output']), (error: Error) => error.message === '--output needs a value');
  assert.throws(() => read(['-o']), (error: Error) => error.message === '-o needs a value');
});

test.run();
