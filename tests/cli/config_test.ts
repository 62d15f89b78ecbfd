import { Command } from "commander";
import { assert, assertEquals } from "../assert.ts";
import type { ReconstructOptions } from "../../src/engine/options.ts";
import { reconstructCommand } from "../../src/cli/reconstruct.ts";
import { exitStatus } from "../../src/cli/run.ts";
import { runTessera } from "./run.ts";

/** Parses `args` with the real `reconstruct` command and returns the options it would run. */
async function parse(args: string[]): Promise<ReconstructOptions> {
  let seen: ReconstructOptions | null = null;
  const command = reconstructCommand((options) => {
    seen = options;
    return Promise.resolve();
  });
  await new Command("tessera").addCommand(command).parseAsync(["reconstruct", ...args], {
    from: "user",
  });
  assert(seen, "the action did not run");
  return seen;
}

async function configFile(name: string, text: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("reconstruct options read from a YAML config are parsed like the command line", async () => {
  const file = await configFile(
    "run.yaml",
    "algorithm: gd\niterations: 7\ntiles: 2x3\nmemory-budget: 1GiB\nrefineProbeFrom: 4\n" +
      "json: true\n",
  );
  const o = await parse(["--config", file]);
  assertEquals(o.algorithm, "gd");
  assertEquals(o.iterations, 7);
  assertEquals(o.tiles, [2, 3]);
  assertEquals(o.memoryBudget, 2 ** 30);
  assertEquals(o.refineProbeFrom, 4);
});

Deno.test("the command line wins over a JSON config, which wins over the defaults", async () => {
  const file = await configFile("run.json", JSON.stringify({ iterations: 9, tiles: [3, 1] }));
  const o = await parse(["--iterations", "2", "--config", file]);
  assertEquals(o.iterations, 2);
  assertEquals(o.tiles, [3, 1]);
  assertEquals(o.workers, 1);
});

Deno.test("a bad value in a config file is a usage error naming the file and the option", async () => {
  const file = await configFile("bad.yaml", "tiles: 0x2\n");
  const run = await runTessera(["reconstruct", "--config", file]);
  assertEquals(run.code, 2, run.stderr);
  assert(
    run.stderr.trimEnd().endsWith(
      `error: option 'tiles' in config file ${file}: '0x2' is ` +
        "invalid. Expected rows x columns, both at least 1, such as 2x2.",
    ),
    run.stderr,
  );
});

Deno.test("an unknown key or a missing config file is a usage error (exit 2)", async () => {
  const unknown = await configFile("unknown.yaml", "iteration: 3\n");
  const run = await runTessera(["reconstruct", "--config", unknown]);
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.includes(`error: unknown option 'iteration' in config file ${unknown}`));
  const missing = await runTessera(["reconstruct", "--config", "no/such.yaml"]);
  assertEquals(missing.code, 2, missing.stderr);
  assert(missing.stderr.includes("cannot read config file no/such.yaml: it does not exist"));
});

Deno.test("exitStatus() keeps the stack trace of a bug and exits 1", () => {
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(...args);
  try {
    assertEquals(exitStatus(new TypeError("boom")), 1);
  } finally {
    console.error = original;
  }
  assert(errors[0] instanceof TypeError, "the error itself (with its stack) is printed");
});

Deno.test("a config's no-defocus-search: true and defocusSearch: false both skip the defocus search", async () => {
  for (const text of ["no-defocus-search: true\n", "defocusSearch: false\n"]) {
    const o = await parse(["--config", await configFile("run.yaml", text)]);
    assertEquals(o.defocusSearch, false, text);
  }
  for (const text of ["no-defocus-search: false\n", "defocusSearch: true\n", "iterations: 3\n"]) {
    const o = await parse(["--config", await configFile("run.yaml", text)]);
    assertEquals(o.defocusSearch, true, text);
  }
  assertEquals((await parse(["--no-defocus-search"])).defocusSearch, false);
});
