/**
 * Checks made before any work starts, so that a run does not compute for an hour and then fail
 * to write its results: each run may write only where it was granted (least privilege).
 */
import { InputError } from "../data/errors.ts";

/** How to widen the grant, for error messages. */
export const WIDEN_WRITE_HINT = "`deno task reconstruct` grants writing to its --out directory " +
  "and `deno task simulate` under ./out only; run through the task, or grant the directory " +
  "yourself, e.g. `deno run --allow-read --allow-write=/data/runs --allow-env src/main.ts " +
  "reconstruct ...` (see docs/usage.md, Permissions).";

/**
 * @throws {InputError} when this process may not write `path` (a file or a directory).
 */
export async function requireWritable(path: string): Promise<void> {
  const status = await Deno.permissions.query({ name: "write", path });
  if (status.state !== "granted") {
    throw new InputError(`Cannot write ${path}: permission denied. ${WIDEN_WRITE_HINT}`, path);
  }
}
