// Public API of the `sluice` package: named exports only.
export { SluiceError, isSluiceError, ERROR_CODES } from './errors.js';
export type { ErrorCode, SluiceErrorOptions } from './errors.js';
