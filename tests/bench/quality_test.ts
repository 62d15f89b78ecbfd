import { assert, assertEquals, assertRejects } from "../assert.ts";
import { measureQuality } from "../../tasks/bench/quality.ts";

Deno.test("bench quality --quick runs every algorithm and reports its figures, null where a PSNR needs more iterations", async () => {
  const { cases, load_average } = await measureQuality(["--quick"]);
  assertEquals(load_average.length, 3);
  assertEquals(
    cases.map((c) => c.algorithm),
    [
      "cg",
      "gd",
      "lsqml",
      "epie",
      "rpie",
      "dm",
      "raar",
      "cg-gaussian",
      "gd-gaussian",
      "lsqml-gaussian",
    ],
  );
  for (const c of cases) {
    assertEquals([c.frame, c.positions, c.iterations, c.probe], [32, 40, 3, "estimated"]);
    assertEquals(c.noise, c.algorithm.endsWith("-gaussian") ? "gaussian" : "poisson");
    assert(c.s_per_iteration > 0, `${c.algorithm}: ${c.s_per_iteration}`);
    assert(c.evaluations_per_iteration >= 1, `${c.algorithm}: ${c.evaluations_per_iteration}`);
    assert(Number.isFinite(c.final_psnr_db), `${c.algorithm}: ${c.final_psnr_db}`);
    assertEquals(c.psnr_db, { "10": null, "20": null, "50": null });
    for (const level of ["30", "33"]) {
      const s = c.seconds_to_db[level];
      assert(s === null || s > 0, `${c.algorithm} to ${level} dB: ${s}`);
      const n = c.iterations_to_db[level];
      assertEquals(n === null, s === null, `${c.algorithm} to ${level} dB: ${n} iterations`);
      assert(n === null || (Number.isInteger(n) && n >= 1 && n <= 3), `${c.algorithm}: ${n}`);
    }
  }
});

Deno.test("bench quality rejects an unknown algorithm naming the choices", async () => {
  const error = await assertRejects(
    () => measureQuality(["--quick", "--algorithms", "cg,lbfgs"]),
    RangeError,
  );
  assert(error.message.includes("cg, gd, lsqml, epie"), error.message);
});
