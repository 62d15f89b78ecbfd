/**
 * A tiny snapshot helper: compares text with `tests/cli/snapshots/<name>.txt`. With
 * `UPDATE_SNAPSHOTS=1` in the environment it writes the file instead (then review the diff and
 * commit it).
 */
import { AssertionError } from "../assert.ts";

const DIR = new URL("./snapshots/", import.meta.url);

/** Throws when `actual` differs from the stored snapshot `name` (or no snapshot exists). */
export async function assertSnapshot(name: string, actual: string): Promise<void> {
  const file = new URL(`${name}.txt`, DIR);
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    await Deno.mkdir(DIR, { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch {
    throw new AssertionError(
      `No snapshot ${file.pathname}: run the test with UPDATE_SNAPSHOTS=1 to write it`,
    );
  }
  if (expected !== actual) {
    const a = actual.split("\n");
    const e = expected.split("\n");
    const line = a.findIndex((text, i) => text !== e[i]);
    throw new AssertionError(
      `Snapshot ${name} differs at line ${line + 1}:\n  actual:   ${a[line]}\n` +
        `  expected: ${e[line]}\n(run with UPDATE_SNAPSHOTS=1 to accept the new text)`,
    );
  }
}
