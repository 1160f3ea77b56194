/**
 * ecs-sim tags through the real clients: TagResources, UntagResources, ListTagResources (paged by
 * NextToken), `Tags` and the tag filter of DescribeInstances, every error code the simulator
 * answers for them, and a RAM policy that refuses tagging.
 */
import assert from "node:assert/strict";
import * as $Ecs from "@alicloud/ecs20140526";
import type { RunningSimulator, SimState } from "../../simulator/index.js";
import { ecsCall, ecsClient, expectEcsError, expectPopError, inst, popClient, startFast, stateWith } from "../helpers/sim.js";

const REGION = "cn-hangzhou";
const WEB = "i-demo-web-01";
const API = "i-demo-api-01";

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Wire = Record<string, string | number | boolean>;

/** Tags of an instance in the simulator's state, as [key, value] pairs. */
function tagsOf(sim: RunningSimulator, id: string): [string, string][] {
  return inst(sim.getState(), id).tags.map((t) => [t.key, t.value]);
}

/** `n` tags k1=v1 … kn=vn on instance `id` of a state. */
function withTags(id: string, n: number, extra: { key: string; value: string }[] = []) {
  return (s: SimState) => {
    inst(s, id).tags = [...Array.from({ length: n }, (_, i) => ({ key: `k${i + 1}`, value: `v${i + 1}` })), ...extra];
  };
}

/** Wire parameters `Tag.N.Key` / `Tag.N.Value` for the given pairs. */
function tagWire(pairs: [string, string | undefined][]): Wire {
  const out: Wire = {};
  pairs.forEach(([k, v], i) => {
    out[`Tag.${i + 1}.Key`] = k;
    if (v !== undefined) out[`Tag.${i + 1}.Value`] = v;
  });
  return out;
}

describe("ecs-sim: tags", function () {
  this.timeout(10_000);
  let sim: RunningSimulator;
  afterEach(async () => sim && (await sim.close()));

  describe("TagResources, UntagResources and Tags in DescribeInstances", () => {
    it("TagResources (ecs client) adds tags to several instances; DescribeInstances shows them as Tags.Tag[{TagKey, TagValue}]", async () => {
      // GIVEN the demo state, where no instance has tags
      sim = await startFast();
      const ecs = ecsClient(sim);
      // WHEN two tags are put on two instances
      await ecs.tagResources(new $Ecs.TagResourcesRequest({
        regionId: REGION, resourceType: "instance", resourceId: [WEB, API],
        tag: [new $Ecs.TagResourcesRequestTag({ key: "env", value: "prod" }), new $Ecs.TagResourcesRequestTag({ key: "team", value: "" })],
      }));
      // THEN both instances carry them, in order, and DescribeInstances shows them with the response's field names
      assert.deepEqual(tagsOf(sim, WEB), [["env", "prod"], ["team", ""]]);
      assert.deepEqual(tagsOf(sim, API), [["env", "prod"], ["team", ""]]);
      const r = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify([WEB, "i-demo-worker-01"]) }));
      const byId = Object.fromEntries(r.body!.instances!.instance!.map((i) => [i.instanceId, i.tags!.tag!.map((t) => [t.tagKey, t.tagValue])]));
      assert.deepEqual(byId, { [WEB]: [["env", "prod"], ["team", ""]], "i-demo-worker-01": [] });
      const raw = (await popClient(sim).request("DescribeInstances", { RegionId: REGION, InstanceIds: JSON.stringify([WEB]) })) as Body;
      // (pop-core parses into objects without a prototype: compare plain copies)
      assert.deepEqual(JSON.parse(JSON.stringify(raw.Instances.Instance[0].Tags)), { Tag: [{ TagKey: "env", TagValue: "prod" }, { TagKey: "team", TagValue: "" }] });
    });

    it("TagResources (pop-core) overwrites the value of a key the instance has, keeping its place", async () => {
      sim = await startFast({ state: stateWith(withTags(WEB, 2)) });
      // WHEN k1 is put again with another value, and k3 is new
      const r = (await popClient(sim).request("TagResources",
        { RegionId: REGION, ResourceType: "instance", ResourceId: [WEB], Tag: [{ Key: "k1", Value: "changed" }, { Key: "k3", Value: "v3" }] },
        { method: "POST" })) as Body;
      // THEN the answer is just a RequestId, k1 changed in place and k3 was added
      assert.deepEqual(Object.keys(r), ["RequestId"]);
      assert.deepEqual(tagsOf(sim, WEB), [["k1", "changed"], ["k2", "v2"], ["k3", "v3"]]);
    });

    it("DescribeInstanceAttribute has no Tags (the API's answer has no such field)", async () => {
      sim = await startFast({ state: stateWith(withTags(WEB, 1)) });
      const r = (await popClient(sim).request("DescribeInstanceAttribute", { InstanceId: WEB })) as Body;
      assert.equal(r.InstanceId, WEB);
      assert.equal("Tags" in r, false);
    });

    it("UntagResources removes the given keys (absent keys are ignored); All=true removes every tag but system ones", async () => {
      // GIVEN WEB with k1..k3 and a system tag, API with k1..k2
      sim = await startFast({ state: stateWith((s) => {
        withTags(WEB, 3, [{ key: "acs:ecs:system", value: "x" }])(s);
        withTags(API, 2)(s);
      }) });
      const ecs = ecsClient(sim);
      // WHEN k1 and k9 are removed from both
      await ecs.untagResources(new $Ecs.UntagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [WEB, API], tagKey: ["k1", "k9"] }));
      // THEN k1 is gone from both
      assert.deepEqual(tagsOf(sim, WEB), [["k2", "v2"], ["k3", "v3"], ["acs:ecs:system", "x"]]);
      assert.deepEqual(tagsOf(sim, API), [["k2", "v2"]]);
      // WHEN All=true on WEB (pop-core)  THEN only the system tag stays
      await popClient(sim).request("UntagResources", { RegionId: REGION, ResourceType: "instance", ResourceId: [WEB], All: true }, { method: "POST" });
      assert.deepEqual(tagsOf(sim, WEB), [["acs:ecs:system", "x"]]);
    });

    it("DescribeInstances filters by Tag.N.Key / Tag.N.Value: a key alone matches any value, several pairs must all match", async () => {
      // GIVEN WEB env=prod,tier=web; API env=prod,tier=api; worker-01 env=dev
      sim = await startFast({ state: stateWith((s) => {
        inst(s, WEB).tags = [{ key: "env", value: "prod" }, { key: "tier", value: "web" }];
        inst(s, API).tags = [{ key: "env", value: "prod" }, { key: "tier", value: "api" }];
        inst(s, "i-demo-worker-01").tags = [{ key: "env", value: "dev" }];
      }) });
      const ecs = ecsClient(sim);
      const ids = async (tags: [string, string?][]) => {
        const r = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({
          regionId: REGION, tag: tags.map(([key, value]) => new $Ecs.DescribeInstancesRequestTag({ key, value })),
        }));
        return [r.body!.totalCount, r.body!.instances!.instance!.map((i) => i.instanceId)];
      };
      assert.deepEqual(await ids([["env", "prod"]]), [2, [WEB, API]]);
      assert.deepEqual(await ids([["env"]]), [3, [WEB, API, "i-demo-worker-01"]]);
      assert.deepEqual(await ids([["env", "prod"], ["tier", "api"]]), [1, [API]]);
      assert.deepEqual(await ids([["env", "PROD"]]), [0, []]);
    });
  });

  describe("ListTagResources", () => {
    it("lists one row per (instance, tag) for the given ResourceId.N; unknown IDs give no rows", async () => {
      sim = await startFast({ state: stateWith((s) => {
        withTags(WEB, 2)(s);
        withTags(API, 1)(s);
      }) });
      const r = await ecsClient(sim).listTagResources(new $Ecs.ListTagResourcesRequest({
        regionId: REGION, resourceType: "instance", resourceId: [WEB, "i-missing", API],
      }));
      assert.equal(r.body!.nextToken, "");
      assert.deepEqual(r.body!.tagResources!.tagResource!.map((t) => [t.resourceId, t.resourceType, t.tagKey, t.tagValue]), [
        [WEB, "instance", "k1", "v1"], [WEB, "instance", "k2", "v2"], [API, "instance", "k1", "v1"],
      ]);
    });

    it("pages 50 rows at a time: NextToken is a 32-hex token while more rows remain, then empty", async () => {
      // GIVEN three instances with 20 tags each (60 rows)
      sim = await startFast({ state: stateWith((s) => {
        for (const id of [WEB, API, "i-demo-worker-01"]) withTags(id, 20)(s);
      }) });
      const pop = popClient(sim);
      const list = (token?: string) =>
        pop.request("ListTagResources", { RegionId: REGION, ResourceType: "instance", ResourceId: [WEB, API, "i-demo-worker-01"], ...(token ? { NextToken: token } : {}) }) as Promise<Body>;
      // WHEN the first page is read  THEN 50 rows and a token
      const first = await list();
      assert.equal(first.TagResources.TagResource.length, 50);
      assert.match(first.NextToken, /^[0-9a-f]{32}$/);
      // WHEN the token is passed  THEN the last 10 rows and an empty token
      const second = await list(first.NextToken);
      assert.equal(second.NextToken, "");
      assert.deepEqual(second.TagResources.TagResource.map((t: Body) => `${t.ResourceId}:${t.TagKey}`),
        Array.from({ length: 10 }, (_, i) => `i-demo-worker-01:k${i + 11}`));
      // AND a token that is not one of the simulator's is refused
      await expectPopError(sim, list("not-a-token"), "InvalidParameter", 400);
    });

    it("filters by Tag.N (exact; a key alone matches any value) and by TagFilter.N (env* prefix, *env* infix, exact)", async () => {
      sim = await startFast({ state: stateWith((s) => {
        inst(s, WEB).tags = [{ key: "environment", value: "production" }, { key: "owner", value: "web-team" }];
        inst(s, API).tags = [{ key: "env", value: "prod" }];
        inst(s, "i-demo-worker-01").tags = [{ key: "my-env-x", value: "staging" }];
      }) });
      const ecs = ecsClient(sim);
      const resources = async (wire: Wire) => {
        const r = await ecsCall(ecs, "ListTagResources", { RegionId: REGION, ResourceType: "instance", ...wire });
        return [...new Set((r.body.TagResources as Body).TagResource.map((t: Body) => t.ResourceId))];
      };
      assert.deepEqual(await resources(tagWire([["env", "prod"]])), [API]);
      assert.deepEqual(await resources(tagWire([["environment", undefined]])), [WEB]);
      assert.deepEqual(await resources({ "TagFilter.1.TagKey": "env*" }), [WEB, API]);
      assert.deepEqual(await resources({ "TagFilter.1.TagKey": "*env*" }), [WEB, API, "i-demo-worker-01"]);
      assert.deepEqual(await resources({ "TagFilter.1.TagKey": "env*", "TagFilter.1.TagValues.1": "prod*" }), [WEB, API]);
      assert.deepEqual(await resources({ "TagFilter.1.TagKey": "env*", "TagFilter.1.TagValues.1": "prod" }), [API]);
      // AND the rows of a matching instance are all its tags
      const rows = await ecsCall(ecs, "ListTagResources", { RegionId: REGION, ResourceType: "instance", "TagFilter.1.TagKey": "owner" });
      assert.deepEqual((rows.body.TagResources as Body).TagResource.map((t: Body) => t.TagKey), ["environment", "owner"]);
    });
  });

  describe("a RAM policy that refuses tagging", () => {
    it("account.deniedActions answers Forbidden.RAM (403) to those actions, first, with either client; others still work", async () => {
      // GIVEN a RAM policy denying TagResources and UntagResources, set over the admin API
      sim = await startFast({ state: stateWith(withTags(WEB, 1)) });
      const state = sim.getState();
      state.account.deniedActions = ["TagResources", "UntagResources"];
      assert.equal((await sim.admin("PUT", "/_sim/state", state)).status, 200);
      // WHEN tags are put or removed (even with parameters that are wrong anyway)
      const e = await expectEcsError(ecsClient(sim).tagResources(new $Ecs.TagResourcesRequest({
        regionId: REGION, resourceType: "instance", resourceId: [WEB], tag: [new $Ecs.TagResourcesRequestTag({ key: "env", value: "prod" })],
      })), "Forbidden.RAM", 403);
      await expectPopError(sim, popClient(sim).request("UntagResources", { RegionId: REGION, ResourceType: "instance", ResourceId: [WEB], TagKey: ["k1"] }),
        "Forbidden.RAM", 403);
      await expectPopError(sim, popClient(sim).request("TagResources", { RegionId: "cn-nowhere" }), "Forbidden.RAM", 403);
      // THEN the documented message, nothing changed, and reads still work
      assert.equal((e.data as Body).Message, "User not authorized to operate on the specified resource, or this API doesn't support RAM.");
      assert.deepEqual(tagsOf(sim, WEB), [["k1", "v1"]]);
      const r = (await popClient(sim).request("ListTagResources", { RegionId: REGION, ResourceType: "instance", ResourceId: [WEB] })) as Body;
      assert.equal(r.TagResources.TagResource.length, 1);
    });

    it("a fault can answer NoPermission.Tag (403, documented message) to TagResources for one instance (ResourceId.N)", async () => {
      sim = await startFast();
      sim.addFault({ action: "TagResources", instanceId: API, kind: "error", code: "NoPermission.Tag", count: 5 });
      const tag = (id: string) => popClient(sim).request("TagResources", { RegionId: REGION, ResourceType: "instance", ResourceId: [id], Tag: [{ Key: "a", Value: "b" }] });
      await tag(WEB);
      const e = await expectPopError(sim, tag(API), "NoPermission.Tag", 403);
      assert.equal((e.data as Body).Message, "The operator is not permission for the tag.");
      assert.deepEqual([tagsOf(sim, WEB), tagsOf(sim, API)], [[["a", "b"]], []]);
    });
  });

  describe("error codes", () => {
    interface Case {
      code: string;
      status: number;
      given: string;
      action: string;
      wire: Wire;
      state?: (s: SimState) => void;
    }
    const ON_WEB = { RegionId: REGION, ResourceType: "instance", "ResourceId.1": WEB };
    const ids = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`ResourceId.${i + 1}`, WEB]));
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`TagKey.${i + 1}`, `k${i + 1}`]));
    const pairs = (n: number) => tagWire(Array.from({ length: n }, (_, i) => [`k${i + 1}`, "v"] as [string, string]));
    const CASES: Case[] = [
      { code: "MissingParameter.RegionId", status: 404, given: "TagResources without RegionId", action: "TagResources",
        wire: { ResourceType: "instance", "ResourceId.1": WEB, ...pairs(1) } },
      { code: "InvalidRegionId.NotFound", status: 404, given: "UntagResources in another region", action: "UntagResources",
        wire: { ...ON_WEB, RegionId: "cn-beijing", "TagKey.1": "k1" } },
      { code: "MissingParameter.ResourceType", status: 404, given: "ListTagResources without ResourceType", action: "ListTagResources",
        wire: { RegionId: REGION, "ResourceId.1": WEB } },
      { code: "InvalidResourceType.NotFound", status: 404, given: "ResourceType Instance (the types are lower case)", action: "TagResources",
        wire: { ...ON_WEB, ResourceType: "Instance", ...pairs(1) } },
      { code: "MissingParameter", status: 400, given: "TagResources without ResourceId.N", action: "TagResources",
        wire: { RegionId: REGION, ResourceType: "instance", ...pairs(1) } },
      { code: "NumberExceed.ResourceIds", status: 400, given: "51 ResourceId.N", action: "TagResources",
        wire: { RegionId: REGION, ResourceType: "instance", ...ids(51), ...pairs(1) } },
      { code: "MissingParameter.Tags", status: 404, given: "TagResources without Tag.N", action: "TagResources", wire: { ...ON_WEB } },
      { code: "NumberExceed.Tags", status: 400, given: "21 TagKey.N to remove", action: "UntagResources", wire: { ...ON_WEB, ...keys(21) } },
      { code: "InvalidTagKey.Malformed", status: 400, given: "a key starting with aliyun", action: "TagResources",
        wire: { ...ON_WEB, ...tagWire([["aliyun-owner", "x"]]) } },
      { code: "InvalidTagValue.Malformed", status: 400, given: "a value with https://", action: "TagResources",
        wire: { ...ON_WEB, ...tagWire([["site", "https://example.com"]]) } },
      { code: "Duplicate.TagKey", status: 400, given: "the key env twice in one call", action: "TagResources",
        wire: { ...ON_WEB, ...tagWire([["env", "a"], ["env", "b"]]) } },
      { code: "InvalidResourceId.NotFound", status: 404, given: "an instance that does not exist among the ResourceId.N", action: "TagResources",
        wire: { ...ON_WEB, "ResourceId.2": "i-missing", ...pairs(1) } },
      { code: "OperationDenied.QuotaExceed", status: 400, given: "an instance with 19 tags and 2 new keys", action: "TagResources",
        state: withTags(WEB, 19), wire: { ...ON_WEB, ...tagWire([["new1", "x"], ["new2", "y"]]) } },
      { code: "InvalidParameter.TagValue", status: 400, given: "ListTagResources with Tag.1.Value and no Tag.1.Key", action: "ListTagResources",
        wire: { ...ON_WEB, "Tag.1.Value": "prod" } },
      { code: "InvalidParameter", status: 400, given: "ListTagResources with both Tag.N and TagFilter.N", action: "ListTagResources",
        wire: { ...ON_WEB, ...tagWire([["env", "prod"]]), "TagFilter.1.TagKey": "env*" } },
      { code: "InvalidTag.Mismatch", status: 400, given: "DescribeInstances with Tag.1.Value and no Tag.1.Key", action: "DescribeInstances",
        wire: { RegionId: REGION, "Tag.1.Value": "prod" } },
      { code: "InvalidTagCount", status: 400, given: "DescribeInstances with 21 tag filters", action: "DescribeInstances",
        wire: { RegionId: REGION, ...pairs(21) } },
      { code: "Forbidden.RAM", status: 403, given: "a RAM policy denying TagResources", action: "TagResources",
        state: (s) => { s.account.deniedActions = ["TagResources"]; }, wire: { ...ON_WEB, ...pairs(1) } },
    ];
    /** Further variants of the same codes, checked with one client each. */
    const VARIANTS: Case[] = [
      { code: "InvalidTagKey.Malformed", status: 400, given: "a key starting with acs:", action: "TagResources", wire: { ...ON_WEB, ...tagWire([["acs:x", "v"]]) } },
      { code: "InvalidTagKey.Malformed", status: 400, given: "a key with http://", action: "TagResources", wire: { ...ON_WEB, ...tagWire([["http://k", "v"]]) } },
      { code: "InvalidTagKey.Malformed", status: 400, given: "an empty key", action: "TagResources", wire: { ...ON_WEB, ...tagWire([["", "v"]]) } },
      { code: "InvalidTagKey.Malformed", status: 400, given: "a key of 129 characters", action: "TagResources", wire: { ...ON_WEB, ...tagWire([["k".repeat(129), "v"]]) } },
      { code: "InvalidTagKey.Malformed", status: 400, given: "removing a system key", action: "UntagResources", wire: { ...ON_WEB, "TagKey.1": "acs:ecs:x" } },
      { code: "InvalidTagValue.Malformed", status: 400, given: "a value of 129 characters", action: "TagResources", wire: { ...ON_WEB, ...tagWire([["k", "v".repeat(129)]]) } },
      { code: "InvalidTagValue.Malformed", status: 400, given: "a value starting with acs:", action: "TagResources", wire: { ...ON_WEB, ...tagWire([["k", "acs:v"]]) } },
      { code: "NumberExceed.Tags", status: 400, given: "21 Tag.N to add", action: "TagResources", wire: { ...ON_WEB, ...pairs(21) } },
      { code: "NumberExceed.ResourceIds", status: 400, given: "51 ResourceId.N to list", action: "ListTagResources", wire: { RegionId: REGION, ResourceType: "instance", ...ids(51) } },
      { code: "MissingParameter.Tags", status: 404, given: "UntagResources with neither TagKey.N nor All", action: "UntagResources", wire: { ...ON_WEB } },
      { code: "InvalidParameter", status: 400, given: "UntagResources with All=true and TagKey.N", action: "UntagResources", wire: { ...ON_WEB, All: true, "TagKey.1": "k1" } },
      { code: "MissingParameter", status: 400, given: "ListTagResources with neither ResourceId.N, Tag.N nor TagFilter.N", action: "ListTagResources",
        wire: { RegionId: REGION, ResourceType: "instance" } },
      { code: "InvalidResourceId.NotFound", status: 404, given: "UntagResources on an unknown instance", action: "UntagResources",
        wire: { ...ON_WEB, "ResourceId.1": "i-missing", "TagKey.1": "k1" } },
      { code: "InvalidResourceId.NotFound", status: 404, given: "a disk (the simulator has no taggable disks)", action: "TagResources",
        wire: { ...ON_WEB, ResourceType: "disk", "ResourceId.1": "d-demo-web-01-sys", ...pairs(1) } },
    ];

    it("covers every code the simulator answers for the tag APIs", () => {
      assert.deepEqual([...new Set(CASES.map((c) => c.code))].sort(), [
        "Duplicate.TagKey", "Forbidden.RAM", "InvalidParameter", "InvalidParameter.TagValue", "InvalidRegionId.NotFound", "InvalidResourceId.NotFound",
        "InvalidResourceType.NotFound", "InvalidTag.Mismatch", "InvalidTagCount", "InvalidTagKey.Malformed", "InvalidTagValue.Malformed",
        "MissingParameter", "MissingParameter.RegionId", "MissingParameter.ResourceType", "MissingParameter.Tags", "NumberExceed.ResourceIds",
        "NumberExceed.Tags", "OperationDenied.QuotaExceed",
      ]);
    });

    const CLIENTS = {
      "@alicloud/pop-core (V1)": {
        send: (sim: RunningSimulator, action: string, wire: Wire) => popClient(sim).request(action, wire, { method: "POST" }),
        expect: (sim: RunningSimulator, p: Promise<unknown>, code: string, status: number) => expectPopError(sim, p, code, status),
      },
      "@alicloud/ecs20140526 (V3)": {
        send: (sim: RunningSimulator, action: string, wire: Wire) => ecsCall(ecsClient(sim), action, wire),
        expect: (_sim: RunningSimulator, p: Promise<unknown>, code: string, status: number) => expectEcsError(p, code, status),
      },
    };
    const run = (client: (typeof CLIENTS)[keyof typeof CLIENTS], c: Case) => async () => {
      // GIVEN
      sim = await startFast({ state: c.state ? stateWith(c.state) : undefined });
      const before = JSON.stringify(sim.getState().instances);
      // WHEN
      const call = client.send(sim, c.action, c.wire);
      // THEN the code and status, the error body, and nothing changed
      const e = await client.expect(sim, call, c.code, c.status);
      const body = (e.data ?? {}) as Body;
      assert.equal(body.Code, c.code);
      assert.equal(body.HostId, "ecs.aliyuncs.com");
      assert.equal(body.Recommend, `https://api.aliyun.com/troubleshoot?q=${c.code}&product=Ecs`);
      assert.equal(JSON.stringify(sim.getState().instances), before, "a refused call changes nothing");
    };
    for (const [name, client] of Object.entries(CLIENTS)) {
      describe(name, () => {
        for (const c of CASES) it(`${c.action}: ${c.code} (${c.status}) GIVEN ${c.given}`, run(client, c));
      });
    }
    describe("more variants (pop-core)", () => {
      for (const c of VARIANTS) it(`${c.action}: ${c.code} (${c.status}) GIVEN ${c.given}`, run(CLIENTS["@alicloud/pop-core (V1)"], c));
    });

    it("TagResources is all or nothing: one instance over the quota leaves the other untouched too", async () => {
      // GIVEN API without tags and WEB with 20
      sim = await startFast({ state: stateWith(withTags(WEB, 20)) });
      // WHEN a new key is put on both
      await expectPopError(sim, popClient(sim).request("TagResources",
        { RegionId: REGION, ResourceType: "instance", ResourceId: [API, WEB], Tag: [{ Key: "new", Value: "x" }] }), "OperationDenied.QuotaExceed", 400);
      // THEN API got nothing either; overwriting one of WEB's 20 keys is still allowed
      assert.deepEqual(tagsOf(sim, API), []);
      await popClient(sim).request("TagResources", { RegionId: REGION, ResourceType: "instance", ResourceId: [WEB], Tag: [{ Key: "k20", Value: "x" }] });
      assert.deepEqual(tagsOf(sim, WEB).at(-1), ["k20", "x"]);
    });
  });
});
