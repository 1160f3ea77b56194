import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findResource, PulumiProject, pulumiBinDir, REPO_ROOT } from "../harness/pulumi";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

/** A trivial dynamic resource: its outputs are derived from its one input. */
const GREETING_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
const provider = {
  async create(inputs) {
    return { id: "greeting-1", outs: { message: inputs.message, length: inputs.message.length } };
  },
  async diff(id, olds, news) {
    return { changes: olds.message !== news.message };
  },
  async update(id, olds, news) {
    return { outs: { message: news.message, length: news.message.length } };
  },
  async read(id, props) {
    return { id, props: { ...props, refreshedBy: "read" } };
  },
  async delete() {},
};
// Outputs are readable as properties only when declared in the props (undefined = computed).
const greeting = new pulumi.dynamic.Resource(provider, "greeting", { message: config.require("message"), length: undefined });
exports.length = greeting.length;
`;

function pinnedVersion(): string {
  const script = fs.readFileSync(path.join(REPO_ROOT, "scripts", "setup-pulumi.sh"), "utf8");
  const match = /PULUMI_VERSION="\$\{PULUMI_VERSION:-(v[0-9.]+)\}"/.exec(script);
  assert.ok(match, "setup-pulumi.sh pins a version");
  return match[1];
}

describe("the real pulumi engine (smoke)", function () {
  let project: PulumiProject;

  before(async function () {
    project = await PulumiProject.create("smoke", { program: GREETING_PROGRAM, config: { message: "hello" } });
  });
  after(() => project?.remove());

  it("runs the CLI built at the pinned version", function () {
    const version = execFileSync(path.join(pulumiBinDir(), "pulumi"), ["version"], { encoding: "utf8" }).trim();
    if (pulumiBinDir().includes(`pulumi-${pinnedVersion()}`)) {
      assert.equal(version, pinnedVersion());
    } else {
      assert.match(version, /^v3\.\d+\.\d+/, "a pulumi already on PATH is used as it is");
    }
  });

  it("takes a dynamic resource through up, preview, update, refresh and destroy", async function () {
    // GIVEN a new stack WHEN it is brought up
    await project.up();
    // THEN the engine recorded the resource with the outputs its provider returned
    let state = await project.exportState();
    let greeting = findResource(state, DYNAMIC, "greeting");
    assert.ok(greeting, "the greeting is in the state");
    assert.equal(greeting.id, "greeting-1");
    assert.equal(greeting.outputs?.message, "hello");
    assert.equal(greeting.outputs?.length, 5);
    assert.equal(typeof greeting.inputs?.__provider, "string", "the serialized provider is recorded");

    // WHEN previewed again with nothing changed THEN the engine sees no changes (non-zero exit otherwise)
    await project.preview(["--expect-no-changes"]);

    // WHEN the input changes and the stack is brought up again
    await project.cli(["config", "set", "message", "hello, world"]);
    const preview = await project.preview();
    assert.match(preview.stdout, /~ message\s*: "hello" => "hello, world"/);
    await project.up();
    // THEN the provider's update produced the new outputs
    state = await project.exportState();
    greeting = findResource(state, DYNAMIC, "greeting");
    assert.equal(greeting?.outputs?.length, 12);
    const outputs = await project.cli(["stack", "output", "--json"]);
    assert.deepEqual(JSON.parse(outputs.stdout), { length: 12 });

    // WHEN refreshed THEN the engine recorded what the provider's read returned
    await project.cli(["refresh", "--yes", "--skip-preview"]);
    state = await project.exportState();
    assert.equal(findResource(state, DYNAMIC, "greeting")?.outputs?.refreshedBy, "read");

    // WHEN destroyed THEN nothing is left in the stack
    await project.cli(["destroy", "--yes", "--skip-preview"]);
    state = await project.exportState();
    assert.deepEqual(state.deployment.resources ?? [], []);
  });
});
