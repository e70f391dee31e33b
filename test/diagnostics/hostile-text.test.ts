/**
 * Diagnostics echo parts of files a stranger wrote: they must never pass
 * control characters or terminal escape sequences through to a terminal, nor
 * flood it (a long line, thousands of errors).
 */
import { describe, expect, it } from "vitest";
import {
  capDiagnostics,
  DiagnosticError,
  error,
  printable,
  renderDiagnostic,
  type SourceFile,
} from "../../src/diagnostics/index.js";
import { parseHclJson } from "../../src/hcl/json.js";
import { parseHcl } from "../../src/hcl/parse.js";

/** Characters that must never reach the terminal raw: C0 and C1 controls (but \n), DEL, bidi controls. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe("printable", () => {
  it("escapes control characters, escape sequences and bidi controls", () => {
    expect(printable("a\u001b[31mred\u0007\r\u0000\u009b\u202e!")).toBe(
      "a\\x1b[31mred\\x07\\r\\x00\\x9b\\u202e!",
    );
    expect(printable("plain ünïcode 😀 and \\ backslash")).toBe(
      "plain ünïcode 😀 and \\ backslash",
    );
  });
});

describe("rendering hostile text", () => {
  it("escapes what a file puts in the summary, the file name, the source line and related places", () => {
    const file: SourceFile = {
      name: "evil\u001b]0;title\u0007.hcl",
      text: 'a = "\u001b[2J" \u001b[31m\n',
    };
    const start = file.text.indexOf("\u001b[31m");
    const d = {
      ...error(`Invalid character "\u001b"`, { file, start, end: start + 1 }),
      detail: "see \u009b",
      related: [{ message: "first \u001b here", range: { file, start: 5, end: 6 } }],
    };
    const text = renderDiagnostic(d);
    expect(text).not.toMatch(UNSAFE);
    expect(text).toContain("evil\\x1b]0;title\\x07.hcl:1:");
    const lines = text.split("\n");
    // The caret still sits under the escaped character.
    const source = lines.find((l) => l.startsWith("1 |"))!;
    const caret = lines[lines.indexOf(source) + 1]!;
    expect(source.indexOf("\\x1b[31m")).toBe(caret.indexOf("^"));
    expect(new DiagnosticError(d).message).not.toMatch(UNSAFE);
  });

  it("shows a window of a very long line around the error, not the whole line", () => {
    const file: SourceFile = { name: "long.hcl", text: `a = ${"x".repeat(100_000)} @\n` };
    const start = file.text.indexOf("@");
    const text = renderDiagnostic(error("Invalid character", { file, start, end: start + 1 }));
    expect(text.length).toBeLessThan(600);
    const lines = text.split("\n");
    const source = lines.find((l) => l.startsWith("1 |"))!;
    const caret = lines[lines.indexOf(source) + 1]!;
    expect(source[caret.indexOf("^")]).toBe("@");
  });
});

describe("error floods", () => {
  it("keeps the first errors of a file and says how many more there are", () => {
    const file: SourceFile = { name: "t.hcl", text: "" };
    const many = Array.from({ length: 25 }, (_, i) => error(`e${i}`, { file, start: 0, end: 0 }));
    const capped = capDiagnostics(many);
    expect(capped.map((d) => d.summary)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `e${i}`),
      "Too many errors; 15 more errors in t.hcl are not shown.",
    ]);
    expect(capDiagnostics(many.slice(0, 10))).toHaveLength(10);
  });

  it("gives at most 11 diagnostics for a file of random bytes, none with raw control characters", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const text = Array.from({ length: 200_000 }, () => String.fromCharCode(random() % 256)).join(
      "",
    );
    const { diagnostics } = parseHcl({ name: "noise.hcl", text });
    expect(diagnostics.length).toBeLessThanOrEqual(11);
    expect(diagnostics.at(-1)!.summary).toMatch(/^Too many errors; \d+ more errors in noise\.hcl/);
    const rendered = diagnostics.map(renderDiagnostic).join("\n\n");
    expect(rendered).not.toMatch(UNSAFE);
    expect(rendered.length).toBeLessThan(20_000);
  });

  it("caps the errors of a JSON file too", () => {
    const members = Array.from({ length: 30 }, () => '"a": 1').join(", ");
    const { diagnostics } = parseHclJson({ name: "d.json", text: `{${members}}` }, {});
    expect(diagnostics).toHaveLength(11);
    expect(diagnostics[10]!.summary).toBe(
      "Too many errors; 19 more errors in d.json are not shown.",
    );
  });
});
