/** Every entry under a folder, to check that nothing the user had was changed or lost. */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** Relative path -> content (latin1, byte for byte); folders end in "/", symlinks read "-> target". */
export function treeSnapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isSymbolicLink()) out.set(r, `-> ${readlinkSync(join(dir, r))}`);
      else if (st.isDirectory()) {
        out.set(`${r}/`, "");
        walk(r);
      } else out.set(r, readFileSync(join(dir, r), "latin1"));
    }
  };
  walk("");
  return out;
}
