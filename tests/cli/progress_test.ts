import { assert, assertEquals } from "../assert.ts";
import { formatSeconds, Progress } from "../../src/cli/progress.ts";

function sink(terminal: boolean) {
  const written: string[] = [];
  return { written, sink: { write: (t: string) => written.push(t), terminal, columns: 100 } };
}

const event = (iteration: number) => ({
  iteration,
  total: 4,
  cost: 1234.5,
  rFactor: 0.125,
  seconds: 0.5,
  busy: 2,
  workers: 2,
});

Deno.test("Progress prints one plain line per iteration when not on a terminal", () => {
  const { written, sink: s } = sink(false);
  const progress = new Progress(s);
  progress.iteration(event(0));
  progress.iteration(event(1));
  progress.finish();
  assertEquals(written, [
    "iteration 1/4  cost 1.2345e+3  R 0.1250  0.50 s/it  2 s left  workers 2/2\n",
    "iteration 2/4  cost 1.2345e+3  R 0.1250  0.50 s/it  1 s left  workers 2/2\n",
  ]);
});

Deno.test("Progress leaves the R-factor out when the session does not know it", () => {
  const { written, sink: s } = sink(false);
  new Progress(s).iteration({ ...event(0), rFactor: NaN });
  assertEquals(written, ["iteration 1/4  cost 1.2345e+3  0.50 s/it  2 s left  workers 2/2\n"]);
});

Deno.test("Progress redraws one bar in place on a terminal and keeps log lines above it", () => {
  const { written, sink: s } = sink(true);
  const progress = new Progress(s);
  progress.iteration(event(1));
  progress.log("checkpoint written");
  progress.finish();
  assert(written[0].startsWith("\r\x1b[2K["), JSON.stringify(written[0]));
  // Half done: as many # as - (within rounding), the bar as wide as the line leaves room for.
  const bar = /\[(#+)(-+)\] 2\/4 /.exec(written[0]);
  assert(bar && Math.abs(bar[1].length - bar[2].length) <= 1, written[0]);
  assert(written[0].includes("workers 2/2"), written[0]);
  assertEquals(written.slice(1), ["\r\x1b[2K", "checkpoint written\n"]);
});

Deno.test("formatSeconds() reads as seconds, minutes or hours", () => {
  assertEquals(formatSeconds(4.4), "4 s");
  assertEquals(formatSeconds(192), "3 min 12 s");
  assertEquals(formatSeconds(3840), "1 h 04 min");
});
