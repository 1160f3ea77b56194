/**
 * The rules a `ModifyInstanceSpec` request must pass, checked here before anything is sent: by the
 * planner (so a preview refuses the plan) and again by the executor right before a plan's first
 * change. Pure: the clock comes in as an argument. What the API documents is in docs/ecs-api.md;
 * where it leaves a limit open, the limit here is this package's choice and says so.
 */
import { createHash } from "node:crypto";
import type { ModifyStep, Refusal } from "./plan-types";

/** The shortest temporary window ModifyInstanceNetworkSpec accepts (3 hours). */
export const NETWORK_MIN_WINDOW_MS = 3 * 3_600_000;
import type { TemporaryBandwidth } from "./schema";

/**
 * How far ahead a temporary window may end, in days: this package's choice, the API documents no
 * limit. A window a year or more ahead is nearly always a typo in the year.
 */
export const MAX_WINDOW_AHEAD_DAYS = 365;

const DAY_MS = 86_400_000;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

/** A time as the API takes it: `yyyy-MM-ddTHH:mm:ssZ` (UTC), cut down to the whole second. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The step as it is sent at `nowMs`. A temporary window that has begun by then starts now and keeps
 * its end, which is what asking for a window already under way means; the API refuses a start in
 * the past. "Now" is cut down to the whole second, so the window recorded as applied has begun by
 * the time it is recorded (see `sameTemporary`). The ClientToken is derived from the planned one and
 * the start sent: every attempt of this one call sends the same token, and a call with another start
 * (a later run) never reuses it, which the API would refuse as `IdempotenceParamNotMatch`.
 */
export function atSendTime<S extends ModifyStep>(step: S, nowMs: number): S {
  if (step.kind === "modifyNetworkTemporary") {
    // ModifyInstanceNetworkSpec takes the start to the minute and refuses one in the past: a
    // window under way starts at the next whole minute.
    const planned = step as ModifyStep & { kind: "modifyNetworkTemporary" };
    if (Date.parse(planned.startTime) > nowMs) return step;
    const start = isoSeconds(Math.ceil(nowMs / 60_000) * 60_000);
    if (start === planned.startTime) return step;
    const digest = createHash("sha256").update(`${planned.clientToken}@${start}`).digest("hex");
    return { ...step, startTime: start, clientToken: `ecsspec-${digest.slice(0, 48)}` };
  }
  if (step.kind !== "modifyTemporaryBandwidth") return step;
  const start = isoSeconds(nowMs);
  const planned = step as ModifyStep & { kind: "modifyTemporaryBandwidth" };
  if (Date.parse(planned.startTime) >= Date.parse(start)) return step;
  const digest = createHash("sha256").update(`${planned.clientToken}@${start}`).digest("hex");
  return { ...step, startTime: start, clientToken: `ecsspec-${digest.slice(0, 48)}` };
}

/** The desired window against the clock: it has not ended, and it ends within {@link MAX_WINDOW_AHEAD_DAYS}. */
export function windowRefusals(w: TemporaryBandwidth, nowMs: number): Refusal[] {
  const horizonMs = nowMs + MAX_WINDOW_AHEAD_DAYS * DAY_MS;
  if (Date.parse(w.endTime) <= nowMs) {
    return [
      {
        code: "TemporaryWindowPast",
        field: "temporaryBandwidth.endTime",
        message: `temporaryBandwidth ends at ${w.endTime}, which has passed; set a window that ends in the future, or remove temporaryBandwidth`,
      },
    ];
  }
  if (Date.parse(w.endTime) > horizonMs) {
    const field = Date.parse(w.startTime) > horizonMs ? "temporaryBandwidth.startTime" : "temporaryBandwidth.endTime";
    const value = field === "temporaryBandwidth.startTime" ? w.startTime : w.endTime;
    return [
      {
        code: "TemporaryWindowTooFar",
        field,
        message: `${field} (${value}) is more than ${MAX_WINDOW_AHEAD_DAYS} days ahead; set a window that ends by ${isoSeconds(horizonMs)} (is the year right?)`,
      },
    ];
  }
  return [];
}

const wholeIn = (v: number | undefined, min: number, max: number) => v === undefined || (Number.isInteger(v) && v >= min && v <= max);

/** A parameter the API refuses whatever the instance: a bug in this package if it ever shows, since the schema checks the inputs. */
function invalid(field: string | undefined, what: string, api = "ModifyInstanceSpec"): Refusal {
  return {
    code: "InvalidRequest",
    ...(field !== undefined ? { field } : {}),
    message: `the request would carry ${what}, which ${api} refuses; nothing was sent — this is a bug in pulumi-ecs-spec, please report it`,
  };
}

/**
 * The rules of one step's request as it would be sent at `sendAtMs`, against the clock at `nowMs`:
 * the parameter rules the API applies before it looks at the instance, the window's own (see
 * {@link windowRefusals}), and a window that would be over before the plan reaches it.
 */
export function requestRefusals(step: ModifyStep, sendAtMs: number, nowMs: number): Refusal[] {
  const r: Refusal[] = [];
  if (!CLIENT_TOKEN.test(step.clientToken)) r.push(invalid(undefined, `the ClientToken ${JSON.stringify(step.clientToken)} (1–64 printable ASCII)`));
  switch (step.kind) {
    case "modifyType":
      if (!/^ecs\.[a-z0-9-]+\.[a-z0-9-]+$/.test(step.instanceType)) r.push(invalid("instanceType", `InstanceType ${JSON.stringify(step.instanceType)}`));
      if (step.systemDiskCategory !== undefined && !["cloud_efficiency", "cloud_ssd"].includes(step.systemDiskCategory)) {
        r.push(invalid("systemDiskCategory", `SystemDisk.Category ${JSON.stringify(step.systemDiskCategory)}`));
      }
      break;
    case "modifyBandwidth":
      if (step.out === undefined && step.in === undefined) r.push(invalid(undefined, "no bandwidth at all"));
      if (!wholeIn(step.out?.to, 0, 100)) r.push(invalid("internetMaxBandwidthOut", `InternetMaxBandwidthOut ${step.out?.to} (0–100)`));
      if (!wholeIn(step.in?.to, 1, 200)) r.push(invalid("internetMaxBandwidthIn", `InternetMaxBandwidthIn ${step.in?.to} (1–200)`));
      break;
    case "modifyPrepayType":
      if (!/^ecs\.[a-z0-9-]+\.[a-z0-9-]+$/.test(step.instanceType)) r.push(invalid("instanceType", `InstanceType ${JSON.stringify(step.instanceType)}`, "ModifyPrepayInstanceSpec"));
      break;
    case "modifyNetworkSpec": {
      const api = "ModifyInstanceNetworkSpec";
      if (step.out === undefined && step.in === undefined) r.push(invalid(undefined, "no bandwidth at all", api));
      if (!wholeIn(step.out?.to, 0, 100)) r.push(invalid("internetMaxBandwidthOut", `InternetMaxBandwidthOut ${step.out?.to} (0–100)`, api));
      if (!wholeIn(step.in?.to, 1, 200)) r.push(invalid("internetMaxBandwidthIn", `InternetMaxBandwidthIn ${step.in?.to} (1–200)`, api));
      break;
    }
    case "modifyNetworkTemporary": {
      const sent = atSendTime(step, sendAtMs);
      if (!wholeIn(step.out, 1, 100)) {
        r.push(invalid("temporaryBandwidth.internetMaxBandwidthOut", `InternetMaxBandwidthOut ${step.out} (1–100)`, "ModifyInstanceNetworkSpec"));
      }
      const window = windowRefusals({ startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out }, nowMs);
      r.push(...window);
      if (window.length === 0 && Date.parse(step.endTime) - Date.parse(sent.startTime) < NETWORK_MIN_WINDOW_MS) {
        r.push({
          code: "TemporaryWindowTooShort",
          field: "temporaryBandwidth.endTime",
          message:
            `temporaryBandwidth ends at ${step.endTime}, but this plan can start it only at about ${sent.startTime}, and ModifyInstanceNetworkSpec ` +
            `takes windows of at least 3 hours; set a later endTime, or remove temporaryBandwidth`,
        });
      }
      break;
    }
    case "modifyTemporaryBandwidth": {
      if (!ISO_SECONDS.test(step.startTime) || Number.isNaN(Date.parse(step.startTime))) {
        r.push(invalid("temporaryBandwidth.startTime", `Temporary.StartTime ${JSON.stringify(step.startTime)}`));
      }
      if (!ISO_SECONDS.test(step.endTime) || Number.isNaN(Date.parse(step.endTime))) {
        r.push(invalid("temporaryBandwidth.endTime", `Temporary.EndTime ${JSON.stringify(step.endTime)}`));
      }
      if (!wholeIn(step.out, 1, 100)) r.push(invalid("temporaryBandwidth.internetMaxBandwidthOut", `Temporary.InternetMaxBandwidthOut ${step.out} (1–100)`));
      if (r.length > 0) break;
      const window = windowRefusals({ startTime: step.startTime, endTime: step.endTime, internetMaxBandwidthOut: step.out }, nowMs);
      r.push(...window);
      if (window.length === 0 && Date.parse(step.endTime) <= Date.parse(atSendTime(step, sendAtMs).startTime)) {
        r.push({
          code: "TemporaryWindowEndsFirst",
          field: "temporaryBandwidth.endTime",
          message:
            `temporaryBandwidth ends at ${step.endTime}, but this plan reaches the window only at about ${isoSeconds(sendAtMs)} ` +
            `(after the changes and cooldowns before it); set a later endTime, or remove temporaryBandwidth`,
        });
      }
      break;
    }
  }
  return r;
}
