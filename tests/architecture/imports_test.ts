/**
 * The source tree's dependency direction: every import of `src/` runs down the ladder
 * cli > engine > distributed > problem > operators > fft/kernels > gpu, the engine's files import
 * one another without a cycle, production code takes nothing from the float64 test oracles, and
 * the command line does not carry the benchmarks.
 */
import { assert, assertEquals } from "../assert.ts";

const ROOT = new URL("../../", import.meta.url);
const SRC = new URL("src/", ROOT);

/**
 * Each folder's rung. Folders of the foundation (types, tiling, geometry, file formats) import
 * only the foundation; the float64 oracles and the simulator built on them sit with the problem.
 */
const LADDER: Record<string, number> = {
  "data": 0,
  "tiling": 0,
  "metrics": 0,
  "physics/geometry.ts": 0,
  "physics/fourier.ts": 0,
  "physics/model.ts": 0,
  "physics/positions.ts": 0,
  "physics/mod.ts": 4,
  "physics/reference.ts": 4,
  "physics/reference_problem.ts": 4,
  "physics/projection_reference.ts": 4,
  "io": 0,
  "serve/address.ts": 0,
  "gpu": 1,
  "fft": 2,
  "kernels": 2,
  "operators": 3,
  "cost": 3,
  "problem": 4,
  "solvers": 4,
  "simulate": 4,
  "distributed": 5,
  "parallel": 5,
  "engine": 6,
  "serve": 7,
  "cli": 7,
  "main.ts": 7,
  "launch.ts": 7,
};

/** The float64 test oracles, and the only modules outside them that may build on them. */
const ORACLES = [
  "physics/reference.ts",
  "physics/reference_problem.ts",
  "physics/projection_reference.ts",
  "physics/mod.ts",
];
const ORACLE_USERS = [
  /^physics\/reference/,
  /^physics\/mod\.ts$/,
  /^simulate\//,
  /^solvers\/pie\.ts$/,
];

/** Every `.ts` file under `src/`, relative to it. */
async function sources(dir = SRC, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) out.push(...await sources(new URL(`${entry.name}/`, dir), `${path}/`));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** The relative imports of a source file (static, re-exports and dynamic), relative to `src/`. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g),
    ...text.matchAll(/import\(\s*"(\.[^"]+)"\s*\)/g),
    ...text.matchAll(/import\s+"(\.[^"]+)"/g),
  ].map((m) => m[1]);
  return specifiers.flatMap((s) => {
    const url = new URL(s, new URL(file, SRC));
    return url.href.startsWith(SRC.href)
      ? [url.href.slice(SRC.href.length)]
      : [`../${url.href.slice(ROOT.href.length)}`];
  });
}

/** The rung of a file: its own entry in the ladder, else its folder's. */
function rung(file: string): number {
  const own = LADDER[file] ?? LADDER[file.split("/")[0]];
  if (own === undefined) throw new Error(`src/${file} is on no rung: add its folder to LADDER`);
  return own;
}

async function graph(): Promise<Map<string, string[]>> {
  const edges = new Map<string, string[]>();
  for (const file of await sources()) {
    edges.set(file, importsOf(file, await Deno.readTextFile(new URL(file, SRC))));
  }
  return edges;
}

Deno.test("no import in src/ runs up the ladder cli > engine > distributed > problem > operators > fft/kernels > gpu", async () => {
  const upward: string[] = [];
  for (const [file, imports] of await graph()) {
    for (const target of imports) {
      if (target.startsWith("../")) {
        // Outside src/ only the kernels' WGSL text and the tiling's WebAssembly are imported.
        if (!/^\.\.\/(wgsl|asm)\//.test(target)) upward.push(`src/${file} -> ${target}`);
        continue;
      }
      if (rung(target) > rung(file)) upward.push(`src/${file} -> src/${target}`);
    }
  }
  assertEquals(upward, []);
});

Deno.test("the ladder's rule fails on an upward import", () => {
  assert(rung("problem/gpu_problem.ts") < rung("engine/reconstruct.ts"));
  assertEquals(importsOf("problem/x.ts", 'import { reconstruct } from "../engine/mod.ts";'), [
    "engine/mod.ts",
  ]);
  assertEquals(importsOf("cli/bench.ts", 'import { run } from "../../tasks/bench.ts";'), [
    "../tasks/bench.ts",
  ]);
});

Deno.test("the engine's files import one another without a cycle", async () => {
  const edges = await graph();
  const engine = [...edges.keys()].filter((f) => f.startsWith("engine/"));
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const next of edges.get(file) ?? []) {
      if (next.startsWith("engine/") && !next.endsWith("mod.ts")) visit(next, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const file of engine) visit(file, []);
  assertEquals(cycles, []);
});

Deno.test("production code takes nothing from the float64 test oracles", async () => {
  const users: string[] = [];
  for (const [file, imports] of await graph()) {
    if (ORACLE_USERS.some((r) => r.test(file))) continue;
    for (const target of imports) {
      if (ORACLES.includes(target)) users.push(`src/${file} -> ${target}`);
    }
  }
  assertEquals(users, []);
});
