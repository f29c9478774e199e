// Errors the registry answers with: the Confluent error_code and HTTP status travel with a
// SluiceError so the HTTP layer maps them without a lookup table, and library callers still
// branch on the stable SluiceError code.
import { SluiceError, type ErrorCode } from '../errors.js';

export class RegistryError extends SluiceError {
  readonly status: number;
  readonly errorCode: number;
  constructor(status: number, errorCode: number, message: string, code: ErrorCode = codeFor(errorCode)) {
    super(code, message, { details: { status, errorCode } });
    this.name = 'RegistryError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

function codeFor(errorCode: number): ErrorCode {
  if (errorCode === 40403) return 'SCHEMA_NOT_FOUND';
  if (errorCode === 42201) return 'SCHEMA_INVALID';
  if (errorCode === 409) return 'SCHEMA_INCOMPATIBLE';
  if (errorCode >= 50000) return 'INTERNAL';
  return 'INVALID_ARGUMENT';
}

export const Errors = {
  subjectNotFound: (s: string) => new RegistryError(404, 40401, `Subject '${s}' not found.`),
  versionNotFound: (v: number | string) => new RegistryError(404, 40402, `Version ${v} not found.`),
  schemaNotFound: (detail = 'Schema not found') => new RegistryError(404, 40403, detail),
  subjectSoftDeleted: (s: string) =>
    new RegistryError(404, 40404, `Subject '${s}' was soft deleted.Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (s: string) =>
    new RegistryError(404, 40405, `Subject '${s}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (s: string, v: number) =>
    new RegistryError(
      404,
      40406,
      `Subject '${s}' Version ${v} was soft deleted.Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (s: string, v: number) =>
    new RegistryError(404, 40407, `Subject '${s}' Version ${v} was not deleted first before being permanently deleted`),
  subjectConfigNotFound: (s: string) =>
    new RegistryError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`),
  subjectModeNotFound: (s: string) =>
    new RegistryError(404, 40409, `Subject '${s}' does not have subject-level mode configured`),
  incompatible: (message: string) => new RegistryError(409, 409, message),
  invalidSchema: (message: string) => new RegistryError(422, 42201, `Invalid schema: ${message}`),
  invalidVersion: (v: string) =>
    new RegistryError(
      422,
      42202,
      `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidCompatibility: (level: unknown) =>
    new RegistryError(
      422,
      42203,
      `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got ${JSON.stringify(level)})`,
    ),
  invalidMode: (mode: unknown) =>
    new RegistryError(422, 42204, `Invalid mode. Valid values are READWRITE, READONLY, IMPORT (got ${JSON.stringify(mode)})`),
  operationNotPermitted: (message: string) => new RegistryError(422, 42205, message),
  referenceExists: (message: string) => new RegistryError(422, 42206, message),
  unprocessable: (message: string) => new RegistryError(422, 422, message),
  badRequest: (message: string) => new RegistryError(400, 400, message),
  storeError: (message: string) => new RegistryError(500, 50001, `Error in the backend data store - ${message}`),
};

/** Thrown by providers for a schema that does not parse; the registry turns it into 42201. */
export class SchemaInvalidError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super('SCHEMA_INVALID', message, { cause });
    this.name = 'SchemaInvalidError';
  }
}
