// The long-option command line the `emit` and `pack` subcommands share (GNU getopt_long's
// conventions, not libcap setcap's): `--name=value` or `--name value`, short options take their
// value from the next word, `-h`/`--help` asks for the usage, `--` ends the options, and `-`
// (stdin/stdout) or any word not starting with '-' is a positional argument, wherever it stands.

/** One option word: `name` is the word up to a `=` (for `--name=value`), `arg` the whole word. */
export interface OptionWord {
  name: string;
  arg: string;
  /** The option's value: after the `=`, else the next word (which is then consumed). */
  value(): string;
}

/**
 * Walks `argv` in order, handing every option to `onOption` (which throws on an unknown one) and
 * collecting the positional arguments; returns 'help' at the first `-h` or `--help`.
 * `missingValue` makes the error thrown when an option's value is missing at the end of `argv`.
 */
export function readOptions(
  argv: readonly string[],
  onOption: (option: OptionWord) => void,
  missingValue: (name: string) => Error,
): string[] | 'help' {
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') return 'help';
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = equals >= 0 ? arg.slice(0, equals) : arg;
    onOption({
      name,
      arg,
      value: () => {
        if (equals >= 0) return arg.slice(equals + 1);
        const next = argv[++i];
        if (next === undefined) throw missingValue(name);
        return next;
      },
    });
  }
  return positionals;
}
