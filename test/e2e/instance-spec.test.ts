import * as assert from "node:assert/strict";
import { findResource, PulumiProject, startInBackground, waitForExit, type BackgroundRun, type CliResult } from "../harness/pulumi";
import { changeCalls, refusedCalls, simEnv, simInstance } from "../helpers/sim";
import { startSimulator, type RunningSimulator } from "../../simulator/index";

const TYPE = "pulumi-nodejs:dynamic/ecs-spec:InstanceSpec";
const TIMING = { cooldownSeconds: 3, stopSeconds: 0.5, startSeconds: 0.5 };

/** A program with one InstanceSpec per entry, args as given (JSON). */
function programOf(resources: Record<string, Record<string, unknown>>): string {
  const lines = Object.entries(resources).map(
    ([name, args]) => `const ${name.replace(/-/g, "_")} = new InstanceSpec(${JSON.stringify(name)}, ${JSON.stringify({ cooldownSeconds: TIMING.cooldownSeconds, ...args })});\nexports[${JSON.stringify(name)}] = ${name.replace(/-/g, "_")}.actual;`,
  );
  return `const { InstanceSpec } = require("pulumi-ecs-spec");\n${lines.join("\n")}\n`;
}

function everything(...results: CliResult[]): string {
  return results.map((r) => r.stdout + r.stderr).join("\n");
}

describe("InstanceSpec through the real pulumi CLI and the simulator", function () {
  let sim: RunningSimulator;
  let project: PulumiProject;

  beforeEach(async function () {
    sim = await startSimulator({ port: 0, timing: TIMING, quiet: true });
  });
  afterEach(async function () {
    project?.remove();
    await sim?.close();
  });

  /**
   * A stack managing running `i-demo-web-01`, then `pulumi up` of a type change for it, started in
   * the background and returned as soon as it has sent its StopInstance (the stop takes `stopSeconds`).
   */
  async function upOfTypeChangeAfterItsStop(stopSeconds: number): Promise<BackgroundRun> {
    await newProject({ web: { instanceId: "i-demo-web-01", internetMaxBandwidthOut: 5 } });
    await project.up();
    project.writeProgram(programOf({ web: { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge" } }));
    sim.setTiming({ stopSeconds });
    sim.clearCalls();
    const run = startInBackground(project, ["up", "--yes", "--skip-preview"]);
    await waitForCall(sim, "StopInstance");
    return run;
  }

  async function newProject(resources: Record<string, Record<string, unknown>>): Promise<PulumiProject> {
    project = await PulumiProject.create("spec", {
      program: programOf(resources),
      // The simulator's durations, once for the stack, as a user of a compressed simulator would.
      config: { "alicloud:region": sim.regionId, "pulumi-ecs-spec:estimates": JSON.stringify({ stopSeconds: TIMING.stopSeconds, startSeconds: TIMING.startSeconds }) },
      env: simEnv(sim),
    });
    return project;
  }

  it("previews the ordered calls, the stop and the time, then applies exactly them with `up`", async function () {
    // GIVEN a running instance (ecs.g6.large, out 5 in 100) and a program that wants a new type and bandwidth
    await newProject({ web: { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 } });

    // WHEN previewed
    const preview = await project.preview();
    // THEN the plan shows under `plan`: the stop, the type, the start, then the bandwidth after the cooldown
    assert.match(preview.stdout, /plan\s*: \[/);
    assert.match(preview.stdout, /ModifyInstanceSpec[^\n]*InternetMaxBandwidthOut[^\n]*5[^\n]*20/);
    assert.match(preview.stdout, /StopInstance[^\n]*STOPPED/);
    assert.match(preview.stdout, /ModifyInstanceSpec[^\n]*InstanceType[^\n]*ecs\.g6\.large[^\n]*ecs\.g6\.xlarge/);
    assert.match(preview.stdout, /StartInstance/);
    assert.match(preview.stdout, /downtime/i);
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), [], "a preview changes nothing");

    // WHEN applied
    const up = await project.up();
    // THEN the simulator saw single-item calls: one stop, the type, one start, and the bandwidth
    // once the cooldown of the type change was over (the planner's order: equal downtime either
    // way, and the type, the item most likely to be refused, goes first)
    const calls = sim.calls();
    assert.deepEqual(changeCalls(calls, "i-demo-web-01"), [
      "StopInstance(StoppedMode=KeepCharging)",
      "ModifyInstanceSpec(InstanceType)",
      "StartInstance()",
      "ModifyInstanceSpec(InternetMaxBandwidthOut)",
    ]);
    // AND no call was refused, and the cooldown separated the two changes
    assert.deepEqual(refusedCalls(calls).map((c) => `${c.action} ${c.code}`), []);
    const modifies = calls.filter((c) => c.action === "ModifyInstanceSpec" && c.params.DryRun !== "true");
    assert.ok(modifies[1].atMs - modifies[0].atMs >= TIMING.cooldownSeconds * 1000, "the second change waited out the cooldown");
    // AND progress was shown while it ran
    assert.match(up.stdout, /\[i-demo-web-01\][^\n]*cooldown/i);
    // AND the stack state holds the new spec, the instance running again
    const state = await project.exportState();
    const web = findResource(state, TYPE, "web");
    assert.deepEqual(web?.outputs?.actual, {
      instanceType: "ecs.g6.xlarge",
      internetMaxBandwidthOut: 20,
      internetMaxBandwidthIn: 100,
      status: "Running",
      zoneId: "cn-hangzhou-h",
      instanceChargeType: "PostPaid",
    });
    const lastApply = web?.outputs?.lastApply as { action: string; requestId: string }[];
    assert.deepEqual(lastApply.map((s) => s.action), ["StopInstance", "ModifyInstanceSpec", "StartInstance", "ModifyInstanceSpec"]);
    assert.ok(lastApply.every((s) => /^[0-9A-F-]{36}$/.test(s.requestId)), "each step has its request id");
    // AND a second preview finds nothing to do
    await project.preview(["--expect-no-changes"]);
  });

  it("fails the preview on bad input, naming the field and the fix, before any API call", async function () {
    // GIVEN a bandwidth out of range and a window that ends before it starts
    await newProject({
      web: {
        instanceId: "i-demo-web-01",
        internetMaxBandwidthOut: 300,
        temporaryBandwidth: { startTime: "2030-01-01T10:00:00Z", endTime: "2030-01-01T08:00:00Z", internetMaxBandwidthOut: 50 },
      },
    });
    // WHEN previewed
    const preview = await project.preview([], { allowFailure: true });
    // THEN it fails with every problem and its property, and the simulator saw no call at all
    assert.notEqual(preview.code, 0);
    const out = everything(preview);
    assert.match(out, /property internetMaxBandwidthOut[^\n]*must be at most 100 Mbit\/s; got 300/);
    assert.match(out, /property temporaryBandwidth\.endTime[^\n]*must be after temporaryBandwidth\.startTime/);
    assert.deepEqual(sim.calls(), []);
  });

  it("fails the preview with the reason when the plan is refused, before anything is touched", async function () {
    // GIVEN a subscription instance and a bandwidth upgrade (an order to pay) without autoPay
    await newProject({ prepaid: { instanceId: "i-demo-prepaid-01", internetMaxBandwidthOut: 20 } });
    // WHEN previewed THEN the preview fails, naming the field, the instance, the cost and the way out
    let preview = await project.preview([], { allowFailure: true });
    assert.notEqual(preview.code, 0);
    assert.match(everything(preview), /property autoPay[^\n]*i-demo-prepaid-01 is a subscription instance[^\n]*costs money[^\n]*autoPay: true/);

    // GIVEN a running instance whose type change needs a stop, and `allowStop: false`
    project.writeProgram(programOf({ nostop: { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", allowStop: false } }));
    // WHEN previewed THEN the preview fails on allowStop, and `up` refuses the same way
    preview = await project.preview([], { allowFailure: true });
    assert.notEqual(preview.code, 0);
    assert.match(everything(preview), /property allowStop[^\n]*stop/i);
    const up = await project.up([], { allowFailure: true });
    assert.notEqual(up.code, 0);
    // AND nothing but reads reached the simulator
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), []);
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-prepaid-01"), []);
  });

  it("shows drift made behind Pulumi's back on refresh, and the next up corrects it", async function () {
    // GIVEN a stack that set the bandwidth to 20
    await newProject({ api: { instanceId: "i-demo-api-01", internetMaxBandwidthOut: 20 } });
    await project.up();
    // WHEN someone changes it in the console
    const state = sim.getState();
    const instance = state.instances.find((i) => i.instanceId === "i-demo-api-01");
    assert.ok(instance);
    instance.internetMaxBandwidthOut = 7;
    sim.setState(state);
    // THEN refresh shows the drift and records it
    const refresh = await project.cli(["refresh", "--yes", "--diff"]);
    assert.match(refresh.stdout, /internetMaxBandwidthOut\s*:\s*20\s*=>\s*7/);
    // AND the next preview plans the correction, and up makes it
    const preview = await project.preview();
    assert.match(preview.stdout, /ModifyInstanceSpec[^\n]*InternetMaxBandwidthOut[^\n]*7[^\n]*20/);
    sim.clearCalls();
    await project.up();
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-api-01"), ["ModifyInstanceSpec(InternetMaxBandwidthOut)"]);
    const after = findResource(await project.exportState(), TYPE, "api");
    assert.equal((after?.outputs?.actual as { internetMaxBandwidthOut: number }).internetMaxBandwidthOut, 20);
  });

  it("leaves the instance untouched on destroy and keeps the secret out of state, provider text and output", async function () {
    // GIVEN a stack managing an instance, with the keys in the stack config (the secret encrypted)
    // rather than in the environment
    project = await PulumiProject.create("spec", {
      program: programOf({ api: { instanceId: "i-demo-api-01", internetMaxBandwidthOut: 30 } }),
      config: { "alicloud:region": sim.regionId, "alicloud:accessKey": sim.accessKeyId },
      secretConfig: { "alicloud:secretKey": sim.accessKeySecret },
      env: { PULUMI_ECS_SPEC_ENDPOINT: sim.url },
    });
    const up = await project.up();
    const before = simInstance(sim, "i-demo-api-01");
    // AND its serialized provider is the tiny loader, the same text for every resource, with no credential
    const applied = await project.exportState();
    const providerText = findResource(applied, TYPE, "api")?.inputs?.__provider;
    assert.equal(typeof providerText, "string");
    assert.ok((providerText as string).length < 4000, `the serialized provider stays tiny (${(providerText as string).length} chars)`);
    assert.match(providerText as string, /require\("pulumi-ecs-spec\/runtime"\)/);
    assert.ok(!(providerText as string).includes(sim.accessKeyId), "no access key id in the serialized provider");
    sim.clearCalls();
    // WHEN destroyed
    const destroy = await project.cli(["destroy", "--yes", "--skip-preview"]);
    // THEN no change call reached the simulator and the instance is as it was
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-api-01"), []);
    const after = simInstance(sim, "i-demo-api-01");
    assert.equal(after.internetMaxBandwidthOut, before.internetMaxBandwidthOut);
    assert.equal(after.status, "Running");
    // AND the access key secret appears nowhere the engine wrote or printed
    const exported = JSON.stringify(await project.exportState());
    for (const [where, text] of [
      ["exported state", exported],
      ["backend files", project.rawStateFiles()],
      ["CLI output", everything(up, destroy)],
    ] as const) {
      assert.ok(!text.includes(sim.accessKeySecret), `the secret leaked into the ${where}`);
    }
  });

  it("records a half-done apply as a partial failure, and the next up finishes it", async function () {
    // GIVEN a type + bandwidth change, and a start that the cloud refuses once (no stock)
    await newProject({ web: { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge", internetMaxBandwidthOut: 20 } });
    sim.addFault({ action: "StartInstance", instanceId: "i-demo-web-01", kind: "error", code: "OperationDenied.NoStock", count: 1 });
    // WHEN applied
    const failed = await project.up([], { allowFailure: true });
    // THEN up fails with the cloud's reason, and the instance was started again before reporting
    assert.notEqual(failed.code, 0);
    assert.match(everything(failed), /OperationDenied\.NoStock/);
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), [
      "StopInstance(StoppedMode=KeepCharging)",
      "ModifyInstanceSpec(InstanceType)",
      "StartInstance() OperationDenied.NoStock",
      "StartInstance()",
    ]);
    // AND the state records what really happened: the new type, running, the bandwidth not yet changed
    const recorded = findResource(await project.exportState(), TYPE, "web");
    assert.ok(recorded, "the resource is recorded despite the failure");
    const actual = recorded.outputs?.actual as { instanceType: string; status: string; internetMaxBandwidthOut: number };
    assert.deepEqual([actual.instanceType, actual.status, actual.internetMaxBandwidthOut], ["ecs.g6.xlarge", "Running", 5]);
    assert.equal(typeof recorded.outputs?.lastChangeAt, "string");

    // WHEN up runs again
    sim.clearCalls();
    await project.up();
    // THEN only what was left is done, after the cooldown, with no refusal
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["ModifyInstanceSpec(InternetMaxBandwidthOut)"]);
    const done = findResource(await project.exportState(), TYPE, "web");
    assert.equal((done?.outputs?.actual as { internetMaxBandwidthOut: number }).internetMaxBandwidthOut, 20);
  });

  it("finishes an apply killed after its stop: the next up changes the type and starts the instance", async function () {
    // GIVEN a stack managing a running instance, and an up of a type change that has just stopped it
    const run = await upOfTypeChangeAfterItsStop(3);
    // WHEN `pulumi up` is killed (CLI and provider)
    run.kill();
    await run.exited;
    // (longer than the stop takes: a provider still alive would send the type change by then)
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["StopInstance(StoppedMode=KeepCharging)"], "killed after the stop, before the type change");
    sim.setTiming({ stopSeconds: TIMING.stopSeconds });
    // THEN the next preview plans the rest, including the start
    project.removeStaleLocks();
    const preview = await project.preview();
    assert.match(preview.stdout, /InstanceType ecs\.g6\.large → ecs\.g6\.xlarge[\s\S]*StartInstance/);
    // AND the next up does it without repeating the stop
    sim.clearCalls();
    await project.up();
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["ModifyInstanceSpec(InstanceType)", "StartInstance()"]);
    const instance = simInstance(sim, "i-demo-web-01");
    assert.deepEqual([instance.instanceType, instance.status], ["ecs.g6.xlarge", "Running"]);
  });

  it("finishes a FIRST up killed after its stop: the restore marker on the instance makes the next up start it", async function () {
    // GIVEN a new stack (nothing recorded yet) whose first up changes the type of a running instance
    await newProject({ web: { instanceId: "i-demo-web-01", instanceType: "ecs.g6.xlarge" } });
    sim.setTiming({ stopSeconds: 3 });
    const run = startInBackground(project, ["up", "--yes", "--skip-preview"]);
    await waitForCall(sim, "StopInstance");
    // WHEN it is killed right after the stop, before Pulumi ever recorded the resource
    run.kill();
    await run.exited;
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["StopInstance(StoppedMode=KeepCharging)"], "killed after the stop, before the type change");
    assert.deepEqual(simInstance(sim, "i-demo-web-01").tags, [{ key: "pulumi-ecs-spec:restore-status", value: "Running" }]);
    sim.setTiming({ stopSeconds: TIMING.stopSeconds });
    // THEN the next up creates the resource, changes the type AND starts the instance, and takes the marker off
    project.removeStaleLocks();
    sim.clearCalls();
    await project.up();
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["ModifyInstanceSpec(InstanceType)", "StartInstance()"]);
    const instance = simInstance(sim, "i-demo-web-01");
    assert.deepEqual([instance.instanceType, instance.status, instance.tags], ["ecs.g6.xlarge", "Running", []]);
    const web = findResource(await project.exportState(), TYPE, "web");
    assert.equal(web?.inputs?.__expectedStatus, "Running");
  });

  it("on Ctrl-C twice in the middle of a type change, starts the instance again before giving up", async function () {
    // GIVEN a stack managing a running instance, and an up of a type change that has just stopped it
    const run = await upOfTypeChangeAfterItsStop(2);
    // WHEN Ctrl-C is pressed twice (the second one: "exit now")
    const plugins = run.providerProcesses();
    run.interrupt();
    await new Promise((r) => setTimeout(r, 300));
    run.interrupt();
    const code = await run.exited;
    // THEN the up failed, and the provider, interrupted at shutdown, started the instance again
    // instead of leaving it stopped (the engine kills it 5 s after the interrupt)
    assert.notEqual(code, 0);
    await waitForCall(sim, "StartInstance");
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["StopInstance(StoppedMode=KeepCharging)", "StartInstance()"]);
    // AND the provider exits once its apply has settled
    await waitForExit(plugins, 15_000);
    sim.setTiming({ stopSeconds: TIMING.stopSeconds });
    // AND the next up does the whole change
    sim.clearCalls();
    project.removeStaleLocks();
    await project.up();
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["StopInstance(StoppedMode=KeepCharging)", "ModifyInstanceSpec(InstanceType)", "StartInstance()"]);
    const instance = simInstance(sim, "i-demo-web-01");
    assert.deepEqual([instance.instanceType, instance.status], ["ecs.g6.xlarge", "Running"]);
  });

  it("when the CLI alone dies mid-change, the orphaned provider still finishes it and starts the instance", async function () {
    // GIVEN a stack managing a running instance, and an up of a type change that has just stopped it
    const run = await upOfTypeChangeAfterItsStop(2);
    // WHEN the CLI is killed, its provider left running with its output pipes closed
    const plugins = run.providerProcesses();
    run.killCliOnly();
    await run.exited;
    // THEN the provider does not die on its next progress line: it changes the type and starts the instance
    await waitForCall(sim, "StartInstance");
    assert.deepEqual(changeCalls(sim.calls(), "i-demo-web-01"), ["StopInstance(StoppedMode=KeepCharging)", "ModifyInstanceSpec(InstanceType)", "StartInstance()"]);
    // AND then it exits instead of lingering as an orphan
    assert.equal(plugins.length, 1, "one provider process");
    await waitForExit(plugins, 15_000);
  });
});

/** Resolves once the simulator has been asked `action` (a minute at most). */
async function waitForCall(sim: RunningSimulator, action: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!sim.calls().some((c) => c.action === action)) {
    if (Date.now() > deadline) throw new Error(`no ${action} call within a minute`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
