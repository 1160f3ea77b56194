/**
 * The error table: every code of ModifyInstanceSpec's reference and the gateway's is decided, and
 * the decisions the executor relies on are the right ones.
 */
import assert from "node:assert/strict";
import { ACTION_ERROR_TABLE, decide, EcsApiError, ERROR_TABLE, TRANSPORT_CODES } from "../../provider/errors";
import { MODIFY_INSTANCE_NETWORK_SPEC_CODES, MODIFY_INSTANCE_SPEC_CODES, MODIFY_PREPAY_INSTANCE_SPEC_CODES } from "../helpers/api-table";

/** The gateway's common codes (docs/ecs-api.md, "Error answers") and the Stop/Start status codes. */
const GATEWAY_CODES = [
  "MissingParameter", "SignatureDoesNotMatch", "IncompleteSignature", "SignatureNonceUsed", "InvalidTimeStamp.Expired",
  "InvalidAccessKeyId.NotFound", "Forbidden.RAM", "OperationConflict", "ServiceUnavailable", "Throttling.User", "Throttling.Api",
  "IncorrectInstanceStatus", "InstanceNotReady",
];

describe("errors: the table", () => {
  it("decides every ModifyInstanceSpec code and every gateway code, each with a hint", () => {
    for (const code of [...MODIFY_INSTANCE_SPEC_CODES, ...GATEWAY_CODES, ...Object.values(TRANSPORT_CODES)]) {
      const rule = ERROR_TABLE[code];
      assert.ok(rule, `${code} is not in the table`);
      assert.ok(rule.hint.length > 20, `${code}: hint too short`);
    }
  });

  for (const [action, codes] of [
    ["ModifyPrepayInstanceSpec", MODIFY_PREPAY_INSTANCE_SPEC_CODES],
    ["ModifyInstanceNetworkSpec", MODIFY_INSTANCE_NETWORK_SPEC_CODES],
  ] as const) {
    it(`decides every ${action} code (its own meaning first), each with a hint`, () => {
      const missing = codes.filter((code) => (ACTION_ERROR_TABLE[action]?.[code] ?? ERROR_TABLE[code]) === undefined);
      assert.deepEqual(missing, []);
      for (const code of codes) assert.ok(decide(code, 400, action).hint.length > 20, `${action} ${code}: hint too short`);
    });
  }

  const subscriptionDecisions: [string, string, string][] = [
    ["ModifyPrepayInstanceSpec", "LastOrderProcessing", "retry"],
    ["ModifyInstanceNetworkSpec", "LastOrderProcessing", "retry"],
    ["ModifyInstanceNetworkSpec", "LastRequestProcessing", "retry"],
    ["ModifyInstanceNetworkSpec", "TaskConflict", "retry"],
    ["ModifyPrepayInstanceSpec", "OrderCreationFailed", "retry"],
    ["ModifyPrepayInstanceSpec", "Throttling", "waitCooldown"],
    ["ModifyInstanceNetworkSpec", "Throttling", "waitCooldown"],
    ["ModifyPrepayInstanceSpec", "InternalError", "verifyThenRetry"],
    ["ModifyInstanceNetworkSpec", "Mayi.InternalError", "verifyThenRetry"],
    ["ModifyPrepayInstanceSpec", "IncorrectInstanceStatus", "waitStatus"],
    ["ModifyPrepayInstanceSpec", "InvalidInstanceStatus", "waitStatus"],
    ["ModifyInstanceNetworkSpec", "InvalidOperation.InstanceStatusUnsupported", "waitStatus"],
    ["ModifyPrepayInstanceSpec", "InvalidInstance.UnpaidOrder", "fail"],
    ["ModifyInstanceNetworkSpec", "InvalidInstance.UnPaidOrder", "fail"],
    ["ModifyPrepayInstanceSpec", "OperationDenied.UnpaidOrder", "fail"],
    ["ModifyPrepayInstanceSpec", "Account.Arrearage", "fail"],
    ["ModifyPrepayInstanceSpec", "InstanceDowngrade.QuotaExceed", "fail"],
    ["ModifyPrepayInstanceSpec", "InvalidOperation.InstanceRenewWithDowngradeInPlan", "fail"],
    ["ModifyPrepayInstanceSpec", "InvalidInstance.PreInstanceExpired", "fail"],
    ["ModifyInstanceNetworkSpec", "InstanceExpiredOrInArrears", "fail"],
    ["ModifyInstanceNetworkSpec", "InvalidInstanceStatus.NotStopped", "fail"],
  ];
  for (const [action, code, decision] of subscriptionDecisions) {
    it(`${action}: ${code} → ${decision}`, () => assert.equal(decide(code, 400, action).decision, decision));
  }

  it("a code means what its action says: OperationDenied after a bandwidth downgrade is not 'out of stock'", () => {
    assert.match(decide("OperationDenied", 400, "ModifyInstanceNetworkSpec").hint, /downgrade[\s\S]*billing cycle/);
    assert.match(decide("OperationDenied", 403).hint, /out of stock/);
    assert.match(decide("InvalidInstance.UnpaidOrder", 400, "ModifyPrepayInstanceSpec").hint, /Billing console/);
    assert.equal(new EcsApiError({ action: "ModifyInstanceNetworkSpec", code: "InvalidInstanceStatus.NotStopped", message: "x" }).decision, "fail");
    assert.equal(new EcsApiError({ action: "ModifyInstanceSpec", code: "InvalidInstanceStatus.NotStopped", message: "x" }).decision, "stopFirst");
  });

  const decisions: [string, string][] = [
    ["Throttling", "waitCooldown"],
    ["Throttling.User", "retry"],
    ["Throttling.Api", "retry"],
    ["LastTokenProcessing", "retry"],
    ["SignatureNonceUsed", "retry"],
    ["OperationConflict", "retry"],
    ["InternalError", "verifyThenRetry"],
    ["ServiceUnavailable", "verifyThenRetry"],
    [TRANSPORT_CODES.network, "verifyThenRetry"],
    [TRANSPORT_CODES.timeout, "verifyThenRetry"],
    [TRANSPORT_CODES.invalidBody, "verifyThenRetry"],
    [TRANSPORT_CODES.httpError, "verifyThenRetry"],
    ["InvalidInstanceStatus.NotStopped", "stopFirst"],
    ["IncorrectInstanceStatus", "waitStatus"],
    ["InvalidStatus.ValueNotSupported", "waitStatus"],
    ["InstanceNotReady", "waitStatus"],
    ["InvalidParameter.Mismatch", "fail"],
    ["ChargeTypeViolation", "fail"],
    ["OperationDenied.NoStock", "fail"],
    ["IdempotenceParamNotMatch", "fail"],
    ["SignatureDoesNotMatch", "fail"],
  ];
  for (const [code, decision] of decisions) {
    it(`${code} → ${decision}`, () => assert.equal(decide(code).decision, decision));
  }

  it("fail hints say what the user can do", () => {
    assert.match(ERROR_TABLE["ChargeTypeViolation"]!.hint, /ModifyPrepayInstanceSpec/);
    assert.match(ERROR_TABLE["BandwidthUpgradeDenied.EipBoundInstance"]!.hint, /EIP's bandwidth/);
    assert.match(ERROR_TABLE["InvalidParameter.Mismatch"]!.hint, /bug in pulumi-ecs-spec/);
    assert.match(ERROR_TABLE["Forbidden.RAM"]!.hint, /ecs:ModifyInstanceSpec/);
  });

  it("unknown codes: 5xx or no status may have been applied → verify then retry; 4xx → fail", () => {
    assert.equal(decide("Weird.Code", 502).decision, "verifyThenRetry");
    assert.equal(decide("Weird.Code").decision, "verifyThenRetry");
    assert.equal(decide("Weird.Code", 400).decision, "fail");
    assert.match(decide("Weird.Code", 400).hint, /unrecognized error Weird\.Code/);
  });
});

describe("errors: EcsApiError", () => {
  it("carries code, status, request ID, decision and hint; the message has them all", () => {
    const e = new EcsApiError({ action: "ModifyInstanceSpec", code: "Throttling", message: "please try again after 5 minutes.", httpStatus: 400, requestId: "R-1" });
    assert.equal(e.code, "Throttling");
    assert.equal(e.httpStatus, 400);
    assert.equal(e.requestId, "R-1");
    assert.equal(e.decision, "waitCooldown");
    assert.equal(e.message, "ModifyInstanceSpec failed: Throttling (HTTP 400): please try again after 5 minutes. [RequestId R-1] — " + e.hint);
  });
});
