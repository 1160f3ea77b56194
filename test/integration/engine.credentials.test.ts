import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEcsClient } from "../../provider/client";
import { isEcsApiError, TRANSPORT_CODES } from "../../provider/errors";
import { startSimulator, type RunningSimulator } from "../../simulator/index";

describe("engine client: credentials from a named CLI profile", function () {
  let sim: RunningSimulator;
  let home: string;
  const savedHome = process.env.HOME;

  before(async function () {
    sim = await startSimulator({ port: 0, quiet: true });
    home = fs.mkdtempSync(path.join(os.tmpdir(), "ecs-spec-home-"));
    fs.mkdirSync(path.join(home, ".aliyun"));
    fs.writeFileSync(
      path.join(home, ".aliyun", "config.json"),
      JSON.stringify({
        current: "default",
        profiles: [
          { name: "default", mode: "AK", access_key_id: "LTAI-wrong", access_key_secret: "wrong" },
          { name: "simulator", mode: "AK", access_key_id: sim.accessKeyId, access_key_secret: sim.accessKeySecret },
        ],
      }),
    );
    process.env.HOME = home;
  });
  after(async function () {
    process.env.HOME = savedHome;
    fs.rmSync(home, { recursive: true, force: true });
    await sim.close();
  });

  it("signs with the named profile's keys, not the current profile's", async function () {
    // GIVEN a CLI config whose current profile has wrong keys and a `simulator` profile with the right ones
    // WHEN a client is created for the `simulator` profile
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, profile: "simulator" });
    // THEN its calls are accepted
    const instance = await api.describeInstance("i-demo-web-01", { knownHasLocalDisks: false });
    assert.equal(instance?.instanceType, "ecs.g6.large");
  });

  it("reports a profile that does not exist as unavailable credentials, with no call made", async function () {
    const api = createEcsClient({ regionId: sim.regionId, endpoint: sim.url, profile: "nope" });
    sim.clearCalls();
    await assert.rejects(api.describeInstance("i-demo-web-01"), (e: unknown) => isEcsApiError(e) && e.code === TRANSPORT_CODES.credentials);
    assert.deepEqual(sim.calls(), []);
  });
});
