// The command line: setcap (the default), `get` (getcap), `pack`, `emit`; getcap also when invoked under
// that name. Each command is one line in COMMANDS: (argv after its name, env) -> outcome.
import * as path from 'node:path';
import { emitMain } from '../emit/cli';
import { packMain } from '../pack/cli';
import type { CliEnv } from './env';
import { getcapMain } from './getcap';
import { fromStatus, type CommandOutcome } from './outcome';
import { deleteProgramFile, wantsSelfDelete } from './self-delete';
import { setcapMain } from './setcap';
import { PROGRAM } from './usage';

export type Command = (argv: readonly string[], env: CliEnv) => CommandOutcome;

/** Subcommands by their first argument; anything else is setcap's command line. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  get: (argv, env) => getcapMain(argv, env, { usage: `${PROGRAM} get`, argv0: `${PROGRAM} get` }),
  emit: (argv, env) => fromStatus(emitMain(argv, process.env, { stdout: env.stdout, stderr: env.stderr })),
  pack: (argv, env) => fromStatus(packMain(argv, process.env, { stdin: 0, stdout: 1, stderr: env.stderr })),
};

/** The invoked name without directories, a leading "!" (the self-delete mark) or a .cjs/.js suffix. */
export function commandName(invokedName: string): string {
  return path
    .basename(invokedName)
    .replace(/^!/, '')
    .replace(/\.(c|m)?js$/, '');
}

/** Runs one command line (argv without node and the program) and returns the exit status. */
export function main(argv: readonly string[], env: CliEnv): number {
  let outcome: CommandOutcome;
  if (commandName(env.invokedName) === 'getcap') {
    outcome = getcapMain(argv, env, { usage: 'getcap', argv0: env.invokedName });
  } else {
    const command = argv.length > 0 && Object.hasOwn(COMMANDS, argv[0]!) ? COMMANDS[argv[0]!] : undefined;
    outcome = command ? command(argv.slice(1), { ...env, argvBytes: env.argvBytes?.slice(1) }) : setcapMain(argv, env);
  }
  if (outcome.completed && outcome.status === 0 && wantsSelfDelete(env)) {
    const failure = deleteProgramFile(env.programPath);
    if (failure) {
      env.stderr(`${PROGRAM}: ${failure}\n`);
      return 1;
    }
  }
  return outcome.status;
}
