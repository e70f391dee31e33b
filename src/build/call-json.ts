/**
 * What `--call outline|targets|check,format=json` prints on stdout, as buildx bake prints it:
 * one JSON document, the resolved definition as `--print` shows it with each target's entry
 * `{"build": <its attributes>, "<call>": <the answer>}`. The answer is the frontend's
 * result.json split into its top-level members (printed in key order, their values as the
 * frontend wrote them), plus "error" for a check that hit a build error. Pure.
 */
import {
  definitionJson,
  encodeGoJson,
  type Json,
  type PrintInput,
  RawJson,
  rawMembers,
} from "../bake/print.js";
import {
  type CallAnswer,
  type CallPrinting,
  combineStatus,
  dockerfileShownName,
  lintErrorText,
  lintResultsOf,
  statusOf,
} from "./call-output.js";

/** The name an answer is printed under: the frontend's "lint" is buildx's "check". */
const printedName = (call: string) => (call === "lint" ? "check" : call);

/** One target's answer as a Go map, and the status it asks for. */
function answerJson(
  call: string,
  answer: CallAnswer,
  dockerfile: string,
  printing: CallPrinting,
): { json: Record<string, Json>; status: number; failed?: boolean } {
  const json: Record<string, Json> = {};
  let error: string | undefined;
  if (call === "lint") {
    const results = lintResultsOf(answer);
    error = "unreadable" in results ? results.unreadable : lintErrorText(results, dockerfile);
  }
  const text = answer["result.json"] ?? "";
  const members = rawMembers(text);
  if (members) for (const [key, value] of members) json[key] = value;
  else {
    const raw = RawJson.of(text);
    if (raw) json[call] = raw;
    else error ??= `the frontend's answer to --call ${printedName(call)} is not JSON`;
  }
  if (error !== undefined) {
    json.error = error;
    return { json, status: 1, failed: true };
  }
  return { json, status: statusOf(answer, printing) };
}

/** The document for the answered targets (every target of the definition is listed), and the exit status. */
export function callJsonOutput(
  answers: ReadonlyMap<string, { readonly call: string; readonly answer: CallAnswer }>,
  definition: PrintInput,
  printing: CallPrinting = {},
): { text: string; status: number } {
  let status = 0;
  const answered = new Map<string, { name: string; json: Json }>();
  for (const name of [...answers.keys()].sort()) {
    const { call, answer } = answers.get(name)!;
    const target = definition.targets[name]!;
    const one = answerJson(call, answer, dockerfileShownName(target), printing);
    answered.set(name, { name: printedName(call), json: one.json });
    status = combineStatus(status, one);
  }
  const document = definitionJson(definition, (name, build) => {
    const entry: Record<string, Json> = { build };
    const one = answered.get(name);
    if (one) entry[one.name] = one.json;
    return entry;
  });
  return { text: `${encodeGoJson(document)}\n`, status };
}
