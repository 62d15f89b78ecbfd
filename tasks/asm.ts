/**
 * `deno task asm`: compiles the AssemblyScript sources in `asm/` to the WebAssembly modules
 * committed beside them, so a fresh clone and `deno compile` need no build step.
 * `deno task asm:verify` compiles into a temporary directory instead and fails (exit 1) when a
 * committed module differs from what the sources produce.
 */
import asc from "assemblyscript/asc";

/** Each AssemblyScript entry file and the module it compiles to, relative to the repository. */
const MODULES = [{ source: "asm/tiling.ts", output: "asm/tiling.wasm" }];

/** Compiler flags: a bump allocator of our own, no runtime, no imports (no `abort`). */
const FLAGS = [
  "--optimizeLevel",
  "3",
  "--shrinkLevel",
  "0",
  "--runtime",
  "stub",
  "--use",
  "abort=",
];

const root = new URL("../", import.meta.url);

async function compile(source: string, outFile: string): Promise<void> {
  let messages = "";
  const collect = {
    write(chunk: string | Uint8Array): boolean {
      messages += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      return true;
    },
  };
  const { error } = await asc.main([source, "--outFile", outFile, ...FLAGS], {
    stdout: collect,
    stderr: collect,
  });
  if (error) throw new Error(`Cannot compile ${source}: ${error.message}\n${messages}`);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function main(args: string[]): Promise<number> {
  Deno.chdir(root);
  const verify = args.includes("--verify");
  const temp = verify ? await Deno.makeTempDir({ prefix: "tessera-asm-" }) : null;
  let stale = 0;
  try {
    for (const { source, output } of MODULES) {
      const target = temp ? `${temp}/${output.replaceAll("/", "_")}` : output;
      await compile(source, target);
      if (!temp) {
        console.log(`${source} -> ${output}`);
        continue;
      }
      const built = await Deno.readFile(target);
      const committed = await Deno.readFile(output).catch(() => new Uint8Array());
      if (same(built, committed)) {
        console.log(`${output} is up to date`);
      } else {
        console.error(`${output} differs from what ${source} compiles to: run deno task asm`);
        stale++;
      }
    }
  } finally {
    if (temp) await Deno.remove(temp, { recursive: true });
  }
  return stale === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
