/**
 * Run by cxi_reader_test.ts in a child process with only `--allow-read --allow-env=HOME`, as
 * the `inspect` task grants: reads a CXI file and prints its frame count and first count.
 */
import { readCxi } from "../../src/io/cxi_reader.ts";

const dataset = await readCxi(Deno.args[0]);
const frames = await dataset.frames.read([0]);
dataset.frames.close();
console.log(JSON.stringify({ count: dataset.count, first: frames[0] }));
