/**
 * docs/ecs-api.md lists every code of the error table with the decision provider/errors.ts makes,
 * so the page users read cannot drift from the code.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ACTION_ERROR_TABLE, ERROR_TABLE, type Decision } from "../../provider/errors";

const DOC = path.resolve(__dirname, "..", "..", "..", "docs", "ecs-api.md");

/** The words the page uses for each decision. */
const WORDS: Record<Decision, string> = {
  retry: "retry",
  verifyThenRetry: "verify, retry",
  waitCooldown: "wait cooldown",
  stopFirst: "stop first",
  waitStatus: "wait status",
  fail: "fail",
};

/** `code → decision words` from the rows of the page's error-code table. */
function documentedDecisions(): Map<string, string> {
  const text = fs.readFileSync(DOC, "utf8");
  const section = text.slice(text.indexOf("## Error codes and what the engine does"));
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const m = /^\| `([^`]+)` \|[^|]*\|[^|]*\| ([^|]+) \|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

/** `action code → decision words` from the rows of the page's per-action table (five columns). */
function documentedActionDecisions(): Map<string, string> {
  const text = fs.readFileSync(DOC, "utf8");
  const rows = new Map<string, string>();
  for (const line of text.slice(text.indexOf("### Codes that mean something else for one action")).split("\n")) {
    const m = /^\| `([^`]+)` \| `([^`]+)` \|[^|]*\|[^|]*\| ([^|]+) \|$/.exec(line);
    if (m) rows.set(`${m[2]} ${m[1]}`, m[3]!.trim());
  }
  return rows;
}

describe("docs: docs/ecs-api.md and the error table", () => {
  const documented = documentedDecisions();

  it("lists every code of the table with the decision the code makes", () => {
    const wrong: string[] = [];
    for (const [code, rule] of Object.entries(ERROR_TABLE)) {
      const words = documented.get(code);
      if (words !== WORDS[rule.decision]) wrong.push(`${code}: the page says ${words ?? "nothing"}, the code ${WORDS[rule.decision]}`);
    }
    assert.deepEqual(wrong, []);
  });

  it("lists every per-action code with the decision the code makes, and no other", () => {
    const documentedByAction = documentedActionDecisions();
    const expected = new Map(
      Object.entries(ACTION_ERROR_TABLE).flatMap(([action, table]) => Object.entries(table).map(([code, rule]) => [`${action} ${code}`, WORDS[rule.decision]] as const)),
    );
    assert.deepEqual([...documentedByAction.entries()].sort(), [...expected.entries()].sort());
  });

  it("lists no code the table does not have", () => {
    assert.deepEqual([...documented.keys()].filter((code) => !(code in ERROR_TABLE)), []);
  });
});
