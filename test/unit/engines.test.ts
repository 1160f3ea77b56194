/**
 * The Node.js versions package.json declares are ones the installed dependencies declare too, and
 * the Node running the tests is one of them. Without this, `npm ci` warns EBADENGINE on a Node
 * this package claims to support (as it did with @pulumi/pulumi 3.270.0, which wants Node >= 22).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

// semver is a dev dependency without bundled types; these are the three functions used here.
const semver = require("semver") as {
  validRange(range: string): string | null;
  subset(sub: string, dom: string): boolean;
  satisfies(version: string, range: string): boolean;
};

/** The repository root (this file is compiled to dist/test/unit/). */
const ROOT = path.resolve(__dirname, "..", "..", "..");

interface PackageJson {
  readonly version: string;
  readonly engines?: { readonly node?: string };
  readonly dependencies?: Readonly<Record<string, string>>;
}
interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}

const readJson = <T>(...parts: string[]): T => JSON.parse(fs.readFileSync(path.join(ROOT, ...parts), "utf8")) as T;
const ours = readJson<PackageJson>("package.json");
const declared = ours.engines?.node ?? "";

describe("engines: the declared Node.js versions", () => {
  it("package.json declares a valid range", () => {
    assert.ok(semver.validRange(declared), `engines.node "${declared}" is not a semver range`);
  });

  it("@pulumi/pulumi, as installed, supports every declared version", () => {
    const sdk = readJson<PackageJson>("node_modules", "@pulumi", "pulumi", "package.json");
    assert.equal(sdk.version, ours.dependencies?.["@pulumi/pulumi"], "node_modules holds another @pulumi/pulumi than package.json pins: run npm ci");
    const range = sdk.engines?.node ?? "*";
    assert.ok(semver.subset(declared, range), `we declare node ${declared}, @pulumi/pulumi ${sdk.version} declares ${range}`);
  });

  it("every production dependency in the lock file supports every declared version", () => {
    const lock = readJson<{ packages: Record<string, LockEntry> }>("package-lock.json");
    const narrower: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (where === "" || entry.dev) continue;
      // Very old packages wrote engines as an array; npm ignores those.
      const range = entry.engines && !Array.isArray(entry.engines) ? (entry.engines as { node?: string }).node : undefined;
      if (range !== undefined && !semver.subset(declared, range)) narrower.push(`${where}@${entry.version}: node ${range}`);
    }
    assert.deepEqual(narrower, [], `these declare fewer Node versions than our ${declared}`);
  });

  it("the Node running the tests is a declared one", () => {
    assert.ok(semver.satisfies(process.version, declared), `Node ${process.version} is outside engines.node ${declared}`);
  });
});
