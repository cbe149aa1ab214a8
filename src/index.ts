// The package's public API: the pure capability model and the kernel layer.
export * from './caps/names';
export * from './caps/text';
export * from './caps/vfs';
export { runXattrBatch, NativeError } from './native/xattr';
export type { XattrOp, XattrOutcome, XattrBatchResult, XattrBatchOptions, XattrStage } from './native/xattr';
