// The command line as a library: `main` for in-process runs, the message helpers for other
// commands that touch security.capability.
export { main, COMMANDS, commandName, type Command } from './main';
export { processCliEnv, readLastCap, FALLBACK_LAST_CAP, type CliEnv } from './env';
export { describeXattrError, describeFileType, type XattrErrorContext, type XattrAction } from './messages';
export { describeOutcomeError } from './file-errors';
export { strerror } from './strerror';
export { fromStatus, COMPLETED, stopped, type CommandOutcome } from './outcome';
