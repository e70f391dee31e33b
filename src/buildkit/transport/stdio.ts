/** A byte stream over a child process's stdin/stdout (for `buildctl dial-stdio` and friends). */
import { spawn } from "node:child_process";
import { Duplex } from "node:stream";

export function spawnStdio(command: string, args: readonly string[]): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-2000);
    });
    child.once("error", (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.once("spawn", () => {
      const duplex = new Duplex({
        read() {
          child.stdout.resume();
        },
        write(chunk, _enc, cb) {
          if (!child.stdin.write(chunk)) child.stdin.once("drain", cb);
          else cb();
        },
        final(cb) {
          child.stdin.end();
          cb();
        },
        destroy(err, cb) {
          child.kill();
          cb(err);
        },
      });
      child.stdout.on("data", (d: Buffer) => {
        if (!duplex.push(d)) child.stdout.pause();
      });
      child.stdout.on("end", () => duplex.push(null));
      // A program that exits early (ssh to an unknown host) closes its stdin: a write
      // then fails with EPIPE, which ends this stream with the program's own words.
      const fail = (err: Error) =>
        duplex.destroy(
          new Error(`${command} ${args.join(" ")} failed: ${stderr.trim() || err.message}`),
        );
      child.stdin.on("error", fail);
      child.stdout.on("error", fail);
      child.once("exit", (code) => {
        if (code && code !== 0)
          duplex.destroy(
            new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr.trim()}`),
          );
      });
      resolve(duplex);
    });
  });
}
