/** Invalid UTF-8 in a file is refused at its line and column, as buildx refuses it. */
import { describe, expect, it } from "vitest";
import {
  DiagnosticError,
  decodeUtf8Source,
  firstInvalidUtf8,
  formatPosition,
  renderDiagnostic,
} from "../../src/diagnostics/index.js";

function refusal(bytes: Uint8Array): DiagnosticError {
  try {
    decodeUtf8Source("docker-bake.hcl", bytes);
  } catch (err) {
    if (err instanceof DiagnosticError) return err;
    throw err;
  }
  throw new Error("expected the bytes to be refused");
}

describe("UTF-8 source files", () => {
  it("decodes valid UTF-8, keeping a byte order mark and every plane", () => {
    const text = '\ufefftarget "ünï" {\n  x = "😀 中"\n}\n';
    expect(decodeUtf8Source("f.hcl", new TextEncoder().encode(text))).toEqual({
      name: "f.hcl",
      text,
    });
  });

  it("refuses invalid UTF-8 at file:line:column, naming the encoding", () => {
    const bytes = Buffer.concat([
      Buffer.from('target "a" {\n  args = { X = "ü'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('cd" }\n}\n'),
    ]);
    const err = refusal(bytes);
    const d = err.diagnostics[0]!;
    expect(formatPosition(d.range!)).toBe("docker-bake.hcl:2:18");
    expect(d.summary).toMatch(/^Invalid character encoding; All input files must be UTF-8 encoded/);
    expect(renderDiagnostic(d)).toContain('2 |   args = { X = "ü��cd" }');
  });

  it("finds each kind of invalid sequence", () => {
    const cases: ReadonlyArray<readonly [number[], number]> = [
      [[0x61, 0x80], 1], // a lone continuation byte
      [[0x61, 0xc0, 0x80], 1], // an overlong form of NUL
      [[0xe0, 0x80, 0x80], 0], // an overlong three-byte form
      [[0xed, 0xa0, 0x80], 0], // a UTF-16 surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
      [[0x61, 0x62, 0xe2, 0x82], 2], // cut short at the end
      [[0xe2, 0x82, 0xac, 0x61], -1], // "€a" is fine
    ];
    for (const [bytes, at] of cases) expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(at);
  });
});
