/**
 * A problem with what the user gave: a file that is not what it should be, a bad option value.
 * The CLI prints its message as one paragraph and exits with status 2, without a stack trace.
 * The message names the file, the path inside it (for HDF5) and what was expected.
 */
export class InputError extends Error {
  override name = "InputError";

  constructor(message: string, readonly file?: string, readonly path?: string) {
    super(message);
  }
}
