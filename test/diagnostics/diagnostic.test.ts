import { describe, expect, it } from "vitest";
import {
  DiagnosticError,
  didYouMean,
  editDistance,
  error,
  lineColumnAt,
  renderDiagnostic,
  type SourceFile,
} from "../../src/diagnostics/index.js";

const file: SourceFile = {
  name: "docker-bake.hcl",
  text: 'target "app" {\n  platforms = [linux/amd64]\n}\n',
};

describe("positions", () => {
  it("turns offsets into 1-based line and column", () => {
    expect(lineColumnAt(file, 0)).toEqual({ line: 1, column: 1 });
    const offset = file.text.indexOf("linux");
    expect(lineColumnAt(file, offset)).toEqual({ line: 2, column: 16 });
    expect(lineColumnAt(file, file.text.length)).toEqual({ line: 4, column: 1 });
  });
});

describe("renderDiagnostic", () => {
  it("names file:line:col, shows the source line and a caret under the range", () => {
    const start = file.text.indexOf("linux");
    const d = error('Unknown variable; There is no variable named "linux".', {
      file,
      start,
      end: start + 5,
    });
    expect(renderDiagnostic(d)).toBe(
      [
        'error: docker-bake.hcl:2:16: Unknown variable; There is no variable named "linux".',
        "  |",
        "2 |   platforms = [linux/amd64]",
        "  |                ^^^^^",
      ].join("\n"),
    );
  });

  it("lists related places, e.g. each edge of a cycle", () => {
    const d = {
      ...error("cycle: a -> b -> a"),
      related: [{ message: "a uses b", range: { file, start: 0, end: 6 } }],
    };
    expect(renderDiagnostic(d)).toContain("  docker-bake.hcl:1:1: a uses b");
    expect(new DiagnosticError(d).message).toBe("cycle: a -> b -> a");
  });
});

describe("did you mean", () => {
  it("counts a transposition as one edit", () => {
    expect(editDistance("pirnt", "print")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
  it("suggests only close candidates", () => {
    expect(didYouMean("relase", ["release", "default"])).toBe(' (did you mean "release"?)');
    expect(didYouMean("zzz", ["release", "default"])).toBe("");
  });
});
