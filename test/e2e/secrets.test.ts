/**
 * No credential anywhere the CLI wrote: through the real `pulumi` CLI against the simulator, with a
 * wrong secret and with STS credentials, nothing the CLI printed or stored (stdout, stderr, the
 * backend, PULUMI_HOME, its temp folder, `pulumi stack export`) holds the AccessKeyId, the secret,
 * the SecurityToken or a request signature, in any encoding. The signatures are the ones really
 * sent, recorded by a loopback proxy in front of the simulator.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { PulumiProject, type CliResult } from "../harness/pulumi";
import { startSimulator, type RunningSimulator } from "../../simulator/index";
import { popEncode } from "../../simulator/auth";

const TIMING = { cooldownSeconds: 3, stopSeconds: 0.5, startSeconds: 0.5 };
// An STS key pair as the STS service hands them out: the token holds `+`, `/` and `=`, so its
// URL-encoded forms differ from the raw one.
const STS = {
  accessKeyId: "STS.NTe2eSecretsKeyId4xQ9",
  accessKeySecret: "e2eSecretsRightSecret7Hd2",
  securityToken: "CAIS8gF1q6Ft5B2yfSjIr5e2e+Secrets/Token9Zk=",
};
const WRONG_SECRET = "e2eSecretsWrongSecret3Kp8";

/** A program with one InstanceSpec changing `i-demo-api-01`'s bandwidth. */
const PROGRAM = `const { InstanceSpec } = require("pulumi-ecs-spec");
const api = new InstanceSpec("api", ${JSON.stringify({ instanceId: "i-demo-api-01", internetMaxBandwidthOut: 30, cooldownSeconds: TIMING.cooldownSeconds })});
exports.actual = api.actual;
`;

/** A loopback proxy to the simulator that records the `Signature` of every request it forwards. */
interface SigningProxy {
  readonly url: string;
  readonly signatures: string[];
  close(): Promise<void>;
}

async function startProxy(sim: RunningSimulator): Promise<SigningProxy> {
  const signatures: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const query = new URL(req.url ?? "/", "http://x").searchParams;
      const signature = new URLSearchParams(body.toString("utf8")).get("Signature") ?? query.get("Signature");
      if (signature) signatures.push(signature);
      const upstream = http.request(sim.url + (req.url ?? "/"), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    signatures,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Every file under `dir`, as text, with its path relative to `dir`. */
function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push({ file: path.relative(dir, p), text: fs.readFileSync(p, "latin1") });
    }
  };
  walk(dir);
  return out;
}

/** The forms a value may take in text: raw, URL-encoded once (a query) and twice (a string-to-sign). */
function forms(value: string): string[] {
  return [...new Set([value, popEncode(value), popEncode(popEncode(value)), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])];
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * Where each credential shows up in everything the CLI wrote: `name@place: hits` for every non-zero
 * count, so that an empty list means no leak.
 */
function leaks(project: PulumiProject, runs: readonly CliResult[], credentials: Record<string, string>, signatures: readonly string[]): string[] {
  const places: { place: string; text: string }[] = [
    ...runs.map((r, i) => ({ place: `run ${i + 1} (pulumi ${r.args.join(" ")}) stdout`, text: r.stdout })),
    ...runs.map((r, i) => ({ place: `run ${i + 1} (pulumi ${r.args.join(" ")}) stderr`, text: r.stderr })),
    ...filesUnder(project.dir)
      .filter((f) => f.file !== "index.js")
      .map((f) => ({ place: f.file, text: f.text })),
  ];
  const needles: { name: string; value: string }[] = [
    ...Object.entries(credentials).flatMap(([name, value]) => forms(value).map((v) => ({ name, value: v }))),
    ...signatures.flatMap((s) => forms(s).map((v) => ({ name: "a signature sent", value: v }))),
  ];
  const found: string[] = [];
  for (const { place, text } of places) {
    for (const { name, value } of needles) {
      const n = count(text, value);
      if (n > 0) found.push(`${name} (${value})@${place}: ${n}`);
    }
    const named = text.match(/Signature(=|%3D|%253D)(?!<redacted>)[^&\s"]+/gi) ?? [];
    if (named.length > 0) found.push(`Signature=…@${place}: ${named.length}`);
  }
  return found;
}

/** The occurrences of a credential across `found`, summed (for the failure message). */
function total(found: readonly string[]): number {
  return found.reduce((n, line) => n + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** The preview and the up (the first two runs) failed with SignatureDoesNotMatch, its string to sign redacted, and the hint. */
function assertRefusedWithHint(runs: readonly { code: number; stdout: string; stderr: string }[]): void {
  for (const r of runs.slice(0, 2)) {
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /SignatureDoesNotMatch \(HTTP 400\): [^\n]*server string to sign is:<redacted> \[RequestId [^\n]*check the AccessKey secret/);
  }
}

describe("secrets: no credential in anything the CLI wrote", function () {
  let sim: RunningSimulator;
  let proxy: SigningProxy;
  let project: PulumiProject;

  afterEach(async function () {
    project?.remove();
    await proxy?.close();
    await sim?.close();
  });

  /** A project whose credentials come from `env` only, so that no stack config holds one. */
  async function newProject(options: { env: Record<string, string> }): Promise<PulumiProject> {
    project = await PulumiProject.create("secrets", {
      program: PROGRAM,
      config: { "alicloud:region": sim.regionId },
      env: { PULUMI_ECS_SPEC_ENDPOINT: proxy.url, ...options.env },
    });
    fs.mkdirSync(path.join(project.dir, "tmp"));
    return project;
  }

  /** `pulumi preview`, `up` and `stack export`: what they printed. */
  async function previewUpExport(): Promise<CliResult[]> {
    // The CLI's and the provider's temporary files land in the project, to be grepped with it.
    const env = { TMPDIR: path.join(project.dir, "tmp") };
    const preview = await project.cli(["preview", "--diff"], { allowFailure: true, env });
    const up = await project.cli(["up", "--yes", "--skip-preview"], { allowFailure: true, env });
    const exported = await project.cli(["stack", "export", "--show-secrets"], { env });
    return [preview, up, exported];
  }

  it("a wrong secret (explicit keys): preview and up fail with SignatureDoesNotMatch, and no key id, secret or signature is written", async function () {
    // GIVEN the simulator's key id with a wrong secret, as explicit keys from the environment
    sim = await startSimulator({ port: 0, timing: TIMING, quiet: true });
    proxy = await startProxy(sim);
    await newProject({ env: { ALICLOUD_ACCESS_KEY: sim.accessKeyId, ALICLOUD_SECRET_KEY: WRONG_SECRET } });
    // WHEN previewed and applied
    const runs = await previewUpExport();
    // THEN both fail with the gateway's code and a usable hint
    assertRefusedWithHint(runs);
    // AND one signed read per run reached the simulator, and was refused
    assert.deepEqual(sim.calls().map((c) => `${c.action} ${c.code}`), ["DescribeInstances SignatureDoesNotMatch", "DescribeInstances SignatureDoesNotMatch"]);
    assert.equal(proxy.signatures.length, 2);
    // AND nothing the CLI wrote holds the key id, either secret or a signature
    const found = leaks(project, runs, { "the AccessKeyId": sim.accessKeyId, "the wrong secret": WRONG_SECRET, "the real secret": sim.accessKeySecret }, proxy.signatures);
    assert.deepEqual(found, [], `${total(found)} occurrences`);
  });

  it("STS credentials from the default chain: preview and up succeed, and no key id, secret, token or signature is written", async function () {
    // GIVEN an STS key pair and its token, which the simulator requires on every request
    sim = await startSimulator({ port: 0, timing: TIMING, quiet: true, credentials: [{ ...STS }] });
    proxy = await startProxy(sim);
    await newProject({
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS.accessKeySecret, ALIBABA_CLOUD_SECURITY_TOKEN: STS.securityToken },
    });
    // WHEN previewed and applied
    const runs = await previewUpExport();
    // THEN both succeed, every request signed, and the bandwidth is changed
    assert.deepEqual(runs.map((r) => r.code), [0, 0, 0], runs.map((r) => r.stdout + r.stderr).join("\n"));
    assert.equal(proxy.signatures.length, sim.calls().length);
    assert.equal(sim.getState().instances.find((i) => i.instanceId === "i-demo-api-01")?.internetMaxBandwidthOut, 30);
    // AND nothing the CLI wrote holds the key id, the secret, the token or a signature
    const found = leaks(project, runs, { "the AccessKeyId": STS.accessKeyId, "the secret": STS.accessKeySecret, "the SecurityToken": STS.securityToken }, proxy.signatures);
    assert.deepEqual(found, [], `${total(found)} occurrences`);
  });

  it("STS credentials from the default chain with a wrong secret: preview and up fail with SignatureDoesNotMatch, and no key id, secret, token or signature is written", async function () {
    // GIVEN the STS key id and token with a wrong secret, from the default chain
    sim = await startSimulator({ port: 0, timing: TIMING, quiet: true, credentials: [{ ...STS }] });
    proxy = await startProxy(sim);
    await newProject({
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: WRONG_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: STS.securityToken },
    });
    // WHEN previewed and applied
    const runs = await previewUpExport();
    // THEN both fail with the gateway's code and a usable hint
    assertRefusedWithHint(runs);
    assert.deepEqual(sim.calls().map((c) => `${c.action} ${c.code}`), ["DescribeInstances SignatureDoesNotMatch", "DescribeInstances SignatureDoesNotMatch"]);
    assert.equal(proxy.signatures.length, 2);
    // AND nothing the CLI wrote holds the key id, either secret, the token or a signature
    const found = leaks(
      project,
      runs,
      { "the AccessKeyId": STS.accessKeyId, "the wrong secret": WRONG_SECRET, "the real secret": STS.accessKeySecret, "the SecurityToken": STS.securityToken },
      proxy.signatures,
    );
    assert.deepEqual(found, [], `${total(found)} occurrences`);
  });
});
