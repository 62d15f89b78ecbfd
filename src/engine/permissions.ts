/**
 * Checks made before any work starts, so that a run does not compute for an hour and then fail
 * to write its results: the deno tasks grant writing under `./out` only (least privilege).
 */
import { InputError } from "../data/errors.ts";

/** How to widen the grant, for error messages. */
export const WIDEN_WRITE_HINT = "The deno tasks may write under ./out only: choose a path under " +
  "out/, or run Tessera with a wider grant, e.g. `deno run --allow-read --allow-write=/data/runs " +
  "--allow-env src/main.ts reconstruct ...`, or use the compiled `tessera` binary " +
  "(see docs/usage.md, Permissions).";

/**
 * @throws {InputError} when this process may not write `path` (a file or a directory).
 */
export async function requireWritable(path: string): Promise<void> {
  const status = await Deno.permissions.query({ name: "write", path });
  if (status.state !== "granted") {
    throw new InputError(`Cannot write ${path}: permission denied. ${WIDEN_WRITE_HINT}`, path);
  }
}
