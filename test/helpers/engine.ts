/**
 * Shared setup for the integration tests that run the engine against the simulator with compressed
 * time (stop/start 0.3 s): the engine's timing and fast retry policies to match, and its client.
 */
import assert from "node:assert/strict";
import type { RunningSimulator } from "../../simulator/index";
import { createEcsClient, type EcsClient } from "../../provider/client";
import { ApplyError, RETRY_POLICIES } from "../../provider/executor";
import { parseDesiredSpec, type DesiredSpecInput } from "../../provider/schema";

/** The engine's waits for a simulator with stop/start 0.3 s (add `orderSeconds` for subscription orders). */
export const FAST_ENGINE_TIMING = {
  stopSeconds: 0.3,
  startSeconds: 0.3,
  modifySeconds: 0.02,
  pollSeconds: 0.05,
  cooldownMarginSeconds: 0.05,
  verifySeconds: 5,
  settleSeconds: 10,
  progressSeconds: 1,
  lostAnswerGraceSeconds: 1,
  straySettleSeconds: 1,
};

/** Retry policies with short delays for the steps every change runs (the others keep their defaults). */
export const FAST_RETRY = {
  specChange: { ...RETRY_POLICIES.specChange, retries: 6, minDelayMs: 50, maxDelayMs: 500 },
  power: { ...RETRY_POLICIES.power, retries: 6, minDelayMs: 50, maxDelayMs: 500 },
  read: { ...RETRY_POLICIES.read, retries: 4, minDelayMs: 50, maxDelayMs: 500 },
};

/** A parsed desired spec in cn-hangzhou, cooldown 2 s, timeout 60 s; throws when `over` is invalid. */
export function desiredSpec(over: Partial<DesiredSpecInput>) {
  const r = parseDesiredSpec({ regionId: "cn-hangzhou", cooldownSeconds: 2, timeoutSeconds: 60, ...over });
  if (!r.ok) throw new Error(JSON.stringify(r.failures));
  return r.value;
}

/** The provider's real client on the simulator, with the simulator's keys and a 2 s timeout. */
export function simClient(sim: RunningSimulator): EcsClient {
  return createEcsClient({
    regionId: sim.regionId,
    endpoint: sim.url,
    credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret },
    timeoutMs: 2000,
  });
}

/** The ApplyError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejects(p: Promise<unknown>): Promise<ApplyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApplyError, String(e));
    return e;
  }
  assert.fail("expected the apply to fail with an ApplyError");
}
