/**
 * The repo's language host (scripts/language-host) exits, and stops the program it runs, soon after
 * the engine is killed, instead of after the real host's 5-minute health check.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PulumiProject, startInBackground, waitForExit, type BackgroundRun } from "../harness/pulumi";

/**
 * A program that registers nothing and then waits for minutes, saying when it got there. A program
 * that prints after the CLI is gone takes the host down with it (a write to the closed stdout pipe),
 * so the kill has to come while the program is quiet: then only the host's own watch can end it.
 */
const SLOW_PROGRAM = `
setTimeout(() => {}, 10 * 60_000);
require("fs").writeFileSync("waiting", "");
`;

/** A string only this repo's host carries (its About metadata); a real host on PATH lacks it. */
const OUR_HOST_MARKER = "pulumi-ecs-spec minimal pulumi-language-nodejs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the language host after a killed pulumi up", function () {
  let project: PulumiProject;
  let run: BackgroundRun | undefined;
  const started: number[] = [];

  before(async function () {
    project = await PulumiProject.create("langhost", { program: SLOW_PROGRAM });
  });
  after(async () => {
    for (const pid of started) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
    run?.kill();
    await waitForExit(started, 5_000).catch(() => undefined);
    project?.remove();
  });

  it("exits within seconds of a kill -9 of the CLI's process group, and stops the program", async function () {
    // GIVEN a pulumi up whose program is running
    run = startInBackground(project, ["up", "--yes", "--skip-preview"]);
    let host: { pid: number } | undefined;
    let program: { pid: number } | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !(host && program); await sleep(200)) {
      const processes = run.descendants();
      host = processes.find((p) => p.commandLine.includes("pulumi-language-nodejs"));
      program = processes.find((p) => p.commandLine.includes("--monitor"));
    }
    assert.ok(host, "the CLI started a pulumi-language-nodejs");
    assert.ok(program, "the language host started the program");
    started.push(host.pid, program.pid);
    const marker = path.join(project.dir, "waiting");
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !fs.existsSync(marker); ) await sleep(200);
    assert.ok(fs.existsSync(marker), "the program reached its wait");
    await sleep(1_000); // the runner's start-up calls to the engine are done by then
    if (!fs.readFileSync(`/proc/${host.pid}/exe`).includes(OUR_HOST_MARKER)) {
      this.skip(); // a pulumi install on PATH brought its own language host: not ours to test
    }

    // WHEN the CLI's process group is killed with SIGKILL (the host is in a group of its own)
    run.killGroup();
    await run.exited;

    // THEN the host and the program it ran are gone within a few seconds (the host looks every second)
    await waitForExit([host.pid, program.pid], 5_000);
  });
});
