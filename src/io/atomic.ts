/**
 * Writing files so that an interrupted run never leaves a half-written one: everything goes to a
 * temporary name in the same directory (same file system, so the final rename is atomic) and is
 * renamed into place only when complete.
 */

/** A fresh temporary name beside `path`: `dir/.name.tmp-<random>`. */
export function temporaryPath(path: string): string {
  const at = path.lastIndexOf("/");
  const dir = at >= 0 ? path.slice(0, at + 1) : "";
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  return `${dir}.${path.slice(at + 1)}.tmp-${suffix}`;
}

/**
 * Writes bytes or text to `path` atomically: to a temporary name first, then renamed.
 *
 * @example
 * ```ts
 * await writeFileAtomic("out/report.json", JSON.stringify(report, null, 2));
 * ```
 */
export async function writeFileAtomic(path: string, content: Uint8Array | string): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    if (typeof content === "string") await Deno.writeTextFile(temporary, content);
    else await Deno.writeFile(temporary, content);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
