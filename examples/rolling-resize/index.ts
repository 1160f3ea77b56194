// A rolling resize of a web tier: ten instances behind a Server Load Balancer (CLB) move to a
// bigger type, at most two out of service at any moment. The first instance goes alone (the
// canary) and is watched for a while; each restarted instance must be reported healthy by the
// load balancer, then warm up, before the next one stops. An instance that never turns healthy
// stops the rollout (the others stay untouched) and gets its old type back.
//
// Against the simulator: `npm run simulator`, then point PULUMI_ECS_SPEC_ENDPOINT at it (see README).
import * as pulumi from "@pulumi/pulumi";
import { InstanceSpecFleet } from "pulumi-ecs-spec";

const config = new pulumi.Config();
const cooldownSeconds = config.getNumber("cooldownSeconds");
const instances = config.getObject<string[]>("instances") ?? Array.from({ length: 10 }, (_, i) => `i-demo-tier-${String(i + 1).padStart(2, "0")}`);

const tier = new InstanceSpecFleet("web-tier", {
  instances: [
    ...instances.slice(1),
    // One instance may differ from the shared spec.
    { instanceId: instances[0]!, instanceType: "ecs.g6.2xlarge" },
  ],
  instanceType: "ecs.g6.xlarge",
  cooldownSeconds,
  rollout: {
    maxUnavailable: "20%", // 2 of 10
    canary: { size: 1, bakeSeconds: config.getNumber("bakeSeconds") ?? 60 },
    healthCheck: {
      clb: { loadBalancerId: config.get("loadBalancerId") ?? "lb-demo-tier", listenerPort: 80 },
      warmupSeconds: config.getNumber("warmupSeconds") ?? 30,
      intervalSeconds: config.getNumber("intervalSeconds") ?? 2,
    },
    maxFailures: 0,
    rollbackOnFailure: true,
  },
});

export const rollout = tier.instanceStates.apply((states) =>
  states.map((s) => `${s.instanceId}: ${s.actual?.instanceType} ${s.actual?.status} (${s.done}${s.wave ? `, wave ${s.wave}` : ""})`),
);
