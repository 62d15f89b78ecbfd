/**
 * The algorithm of a run that names none: lsqml, or cg with one note where lsqml does not run;
 * a named algorithm (on the command line or in a config file) is never replaced.
 */
import { Command } from "commander";
import { assert, assertEquals } from "../assert.ts";
import type { ReconstructOptions } from "../../src/engine/options.ts";
import { type OutputOptions, reconstructCommand } from "../../src/cli/reconstruct.ts";

/** The solver a parsed command line would run, and the note its log would open with. */
interface Chosen {
  algorithm: ReconstructOptions["algorithm"];
  note: OutputOptions["note"];
}

/** Parses `args` with the real `reconstruct` command: the solver it would run and its note. */
async function chosen(args: string[]): Promise<Chosen> {
  let seen: Chosen | null = null;
  const command = reconstructCommand((options, output) => {
    seen = { algorithm: options.algorithm, note: output.note };
    return Promise.resolve();
  });
  await new Command("tessera").addCommand(command).parseAsync(["reconstruct", ...args], {
    from: "user",
  });
  assert(seen, "the action did not run");
  return seen;
}

Deno.test("reconstruct without --algorithm runs lsqml, with no note", async () => {
  assertEquals(await chosen([]), { algorithm: "lsqml", note: null });
  assertEquals(await chosen(["--tiles", "2x2", "--workers", "2"]), {
    algorithm: "lsqml",
    note: null,
  });
});

Deno.test("without --algorithm, each option lsqml refuses runs cg and says so in one line", async () => {
  const cases: Array<[string[], string]> = [
    [
      ["--memory-budget", "1GiB"],
      "note: --memory-budget: running cg (lsqml does not stream tiles)",
    ],
    [
      ["--tiles", "2x1", "--exchange", "async"],
      "note: --exchange async: running cg (lsqml needs each batch's halo sums at once)",
    ],
    [["--slices", "3"], "note: --slices 3: running cg (lsqml reconstructs one slice)"],
    [
      ["--exchange", "async", "--slices", "2"],
      "note: --exchange async, --slices 2: running cg (lsqml needs each batch's halo sums at " +
      "once and reconstructs one slice)",
    ],
  ];
  for (const [args, note] of cases) {
    assertEquals(await chosen(args), { algorithm: "cg", note }, args.join(" "));
  }
});

Deno.test("an algorithm named on the command line or in a config file is kept, lsqml included", async () => {
  assertEquals(await chosen(["--algorithm", "lsqml", "--memory-budget", "1GiB"]), {
    algorithm: "lsqml",
    note: null,
  });
  assertEquals(await chosen(["-a", "gd", "--slices", "2"]), { algorithm: "gd", note: null });
  const dir = await Deno.makeTempDir();
  const config = `${dir}/run.yaml`;
  await Deno.writeTextFile(config, "algorithm: lsqml\nexchange: async\n");
  assertEquals(await chosen(["--config", config]), { algorithm: "lsqml", note: null });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a resumed run keeps its checkpoint's algorithm and gets no note", async () => {
  const { note } = await chosen(["--resume", "out/x", "--memory-budget", "1GiB"]);
  assertEquals(note, null);
});
