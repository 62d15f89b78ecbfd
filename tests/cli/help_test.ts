import { assertEquals } from "../assert.ts";
import { runTessera } from "./run.ts";
import { assertSnapshot } from "./snapshot.ts";

for (const command of ["", "reconstruct", "simulate", "inspect"]) {
  const name = command || "tessera";
  Deno.test(`${name} --help prints the committed help text and exits 0`, async () => {
    const run = await runTessera(command ? [command, "--help"] : ["--help"]);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stderr, "");
    await assertSnapshot(`help_${name}`, run.stdout);
  });
}

Deno.test("--version prints the version on every subcommand and exits 0", async () => {
  for (const args of [["--version"], ["reconstruct", "--version"], ["inspect", "-V"]]) {
    const run = await runTessera(args);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(/^\d+\.\d+\.\d+\n$/.test(run.stdout), true, run.stdout);
  }
});
