// The package's public API: the pure capability model, the kernel layer and the setter builder.
export * from './caps/names';
export * from './caps/text';
export * from './caps/vfs';
export { runXattrBatch, NativeError } from './native/xattr';
export type { XattrPath, XattrOp, XattrOutcome, XattrBatchResult, XattrBatchOptions, XattrStage } from './native/xattr';
// emit: a standalone setter ELF for a Docker platform, as bytes (no I/O).
export { buildSetter } from './emit/setter';
export type { Setter, SetterTarget } from './emit/setter';
export { PLATFORM_NAMES, platformFromName } from './emit/platforms';
export type { PlatformName } from './emit/platforms';
