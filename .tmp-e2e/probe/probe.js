const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
const pulumi = require("@pulumi/pulumi");
(async () => {
  const cmd = await PulumiCommand.get({ root: process.env.HOME + "/.cache/pulumi-ecs-spec/pulumi-v3.274.1", skipVersionCheck: false });
  const program = async () => {
    const provider = {
      async create(inputs) { return { id: "x1", outs: { ...inputs, n: 1 } }; },
      async check(olds, news) { console.error("CHECK-STDERR"); console.log("CHECK-STDOUT"); require("@pulumi/pulumi").log.warn("CHECK-LOGWARN"); return { inputs: { ...news, plan: news.v === "a" ? [] : ["1. ModifyInstanceSpec InternetMaxBandwidthOut 5 -> 20 (running)", "2. wait cooldown 5:00", "3. StopInstance: instance will be STOPPED ~1:10"] } }; },
      async diff(id, olds, news) { console.log("DIFF-OUTPUT planned steps: stop"); return { changes: olds.v !== news.v }; },
      async update(id, olds, news) { console.log("UPDATE-STDOUT step 1/3"); await new Promise(r=>setTimeout(r,1500)); console.log("UPDATE-STDOUT step 2/3"); return { outs: { ...news, n: 2 } }; },
    };
    const r = new pulumi.dynamic.Resource(provider, "r", { v: process.env.V || "a" });
    return { v: r.v };
  };
  const env = { PULUMI_BACKEND_URL: "file://" + __dirname + "/state", PULUMI_CONFIG_PASSPHRASE: "", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_HOME: __dirname + "/home", PATH: process.env.HOME + "/.cache/pulumi-ecs-spec/pulumi-v3.274.1/bin:" + process.env.PATH };
  require("fs").mkdirSync(__dirname + "/state", { recursive: true });
  const stack = await LocalWorkspace.createOrSelectStack({ projectName: "probe", stackName: "dev", program }, { workDir: __dirname, envVars: env, pulumiCommand: cmd });
  const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
  process.env.V = "b";
  const pv = await stack.preview({ diff: true, onOutput: (s) => process.stdout.write(s) });
  console.log("=== UP b"); await stack.up({ onOutput: (s) => process.stdout.write(s) });
})().catch((e) => { console.error("FAILED", e); process.exit(1); });
