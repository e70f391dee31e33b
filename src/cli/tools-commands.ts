/** `mbake endpoints`, `mbake du`, `mbake prune`: look after the daemons themselves. */

import { createInterface } from "node:readline/promises";
import { formatTable } from "../progress/summary.js";
import { humanSize } from "../support/human-size.js";
import { UsageError } from "./args.js";
import { loadConfig } from "./config-file.js";
import { connectEndpoints, endpointsToTry, NoEndpointError } from "./connect.js";
import { selectEndpoints } from "./endpoint-config.js";
import { ExitCode } from "./exit-codes.js";
import { type CliIo, write } from "./io.js";

/** "24h", "30m", "1h30m", "45s" to milliseconds. */
export function parseDurationFlag(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === "")
    throw new UsageError(`invalid duration "${text}": write e.g. 24h, 30m or 1h30m`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** "10GB", "512MB", "1.5GiB", "1000" to bytes. */
export function parseSizeFlag(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?)[bB]?$/.exec(text);
  if (!m) throw new UsageError(`invalid size "${text}": write e.g. 10GB or 512MB`);
  const power = { "": 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase()]!;
  return Math.round(Number(m[1]) * (m[3] ? 1024 : 1000) ** power);
}

async function connectAll(flags: readonly string[], io: CliIo) {
  const config = loadConfig(io.cwd, undefined);
  const { endpoints, tried } = endpointsToTry(selectEndpoints(flags, io.env, config), io.env);
  if (endpoints.length === 0)
    throw new NoEndpointError(
      `no BuildKit endpoint found; tried ${tried.join(", ")}. Give one with --endpoint ADDRESS`,
    );
  const unreachable: { name: string; address: string; error: string }[] = [];
  const connected = await connectEndpoints(endpoints, io.env, (m) => {
    const e = endpoints.find((x) => m.includes(`endpoint ${x.name} `));
    unreachable.push({ name: e?.name ?? "?", address: e?.address ?? "?", error: m });
  });
  return { endpoints, connected, unreachable };
}

export async function endpointsCommand(
  cmd: { endpoints: string[]; inspect?: string; json: boolean },
  io: CliIo,
): Promise<number> {
  const { endpoints, connected, unreachable } = await connectAll(cmd.endpoints, io);
  try {
    const rows = await Promise.all(
      endpoints.map(async (e) => {
        const c = connected.find((x) => x.config.name === e.name);
        if (!c)
          return {
            name: e.name,
            address: e.address,
            reachable: false,
            error: unreachable.find((u) => u.name === e.name)?.error ?? "unreachable",
          };
        const usage = await c.client.diskUsage().catch(() => []);
        return {
          name: e.name,
          address: e.address,
          reachable: true,
          kind: c.caps.kind,
          version: c.caps.version,
          platforms: c.caps.platforms,
          nativePlatforms: c.info.nativePlatforms,
          maxParallel: c.info.maxParallel,
          // What placement counts as running at full speed at once, and where it comes from.
          cpus:
            c.info.cpus !== undefined
              ? `${c.info.cpus} (${c.config.cpus !== undefined ? "set with cpus=" : (c.caps.cpusFrom ?? "reported")})`
              : "unknown (placement assumes as many as the other endpoints say, else 1; set cpus= on the endpoint)",
          exporters: c.caps.exporters,
          cacheExporters: c.caps.cacheExporters,
          cacheImporters: c.caps.cacheImporters,
          ...(c.caps.imageStore ? { imageStore: c.caps.imageStore } : {}),
          multiPlatformImages: c.caps.multiPlatformImages,
          attestations: c.caps.attestations ?? false,
          namedContexts: c.caps.namedContexts,
          runLimits: c.caps.runLimits ?? true,
          subrequests: c.caps.subrequests ?? false,
          found: c.caps.found ?? [],
          running: usage.filter((u) => u.inUse).length,
        };
      }),
    );
    if (cmd.inspect) {
      const one = rows.find((r) => r.name === cmd.inspect || r.address === cmd.inspect);
      if (!one)
        throw new UsageError(
          `no endpoint named "${cmd.inspect}" (known: ${rows.map((r) => r.name).join(", ")})`,
        );
      write(
        io.stdout,
        cmd.json
          ? JSON.stringify(one, null, 2)
          : Object.entries(one)
              .map(([k, v]) =>
                k === "found"
                  ? `found:\n${(v as string[]).map((line) => `  ${line}`).join("\n")}`
                  : `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`,
              )
              .join("\n"),
      );
      return one.reachable ? ExitCode.success : ExitCode.buildFailed;
    }
    if (cmd.json) write(io.stdout, JSON.stringify(rows, null, 2));
    else {
      const table = [["NAME", "ADDRESS", "REACHABLE", "VERSION", "PLATFORMS", "IN USE"]];
      for (const r of rows) {
        table.push([
          r.name,
          r.address,
          r.reachable ? "yes" : "no",
          "version" in r ? String(r.version) : (r as { error: string }).error,
          "platforms" in r ? (r.platforms as string[]).join(",") : "-",
          "running" in r ? String(r.running) : "-",
        ]);
      }
      write(io.stdout, formatTable(table));
    }
    return rows.every((r) => r.reachable) ? ExitCode.success : ExitCode.buildFailed;
  } finally {
    await Promise.all(connected.map((c) => c.client.close()));
  }
}

export async function duCommand(
  cmd: { endpoints: string[]; verbose: boolean },
  io: CliIo,
): Promise<number> {
  const { connected, unreachable } = await connectAll(cmd.endpoints, io);
  try {
    for (const u of unreachable) write(io.stderr, `WARNING: ${u.error}`);
    for (const c of connected) {
      const records = await c.client.diskUsage();
      const total = records.reduce((s, r) => s + r.size, 0);
      const reclaimable = records.filter((r) => !r.inUse).reduce((s, r) => s + r.size, 0);
      write(io.stdout, `${c.config.name} (${c.config.address})`);
      if (cmd.verbose) {
        const rows = [["ID", "RECLAIMABLE", "SIZE", "DESCRIPTION"]];
        for (const r of [...records].sort((a, b) => b.size - a.size))
          rows.push([
            r.id.slice(0, 25),
            r.inUse ? "false" : "true",
            humanSize(r.size),
            r.description.slice(0, 60),
          ]);
        write(io.stdout, formatTable(rows));
      }
      write(
        io.stdout,
        `  records: ${records.length}\n  reclaimable: ${humanSize(reclaimable)}\n  total: ${humanSize(total)}`,
      );
    }
    return unreachable.length === 0 ? ExitCode.success : ExitCode.buildFailed;
  } finally {
    await Promise.all(connected.map((c) => c.client.close()));
  }
}

export async function pruneCommand(
  cmd: {
    endpoints: string[];
    all: boolean;
    force: boolean;
    keepDuration?: string;
    keepStorage?: string;
  },
  io: CliIo,
): Promise<number> {
  const keepDurationMs = cmd.keepDuration ? parseDurationFlag(cmd.keepDuration) : undefined;
  const keepBytes = cmd.keepStorage ? parseSizeFlag(cmd.keepStorage) : undefined;
  const { connected, unreachable } = await connectAll(cmd.endpoints, io);
  try {
    for (const u of unreachable) write(io.stderr, `WARNING: ${u.error}`);
    if (!cmd.force) {
      if (!io.stdin.isTTY)
        throw new UsageError("prune needs --force when there is no terminal to confirm on");
      const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
      const answer = await rl.question(
        `This removes ${cmd.all ? "all" : "unused"} build cache on ${connected.map((c) => c.config.name).join(", ")}. Continue? [y/N] `,
      );
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        write(io.stderr, "prune: nothing removed");
        return ExitCode.success;
      }
    }
    for (const c of connected) {
      let total = 0;
      let count = 0;
      await c.client.prune(
        {
          all: cmd.all,
          ...(keepDurationMs !== undefined ? { keepDurationMs } : {}),
          ...(keepBytes !== undefined ? { keepBytes } : {}),
        },
        (r) => {
          total += r.size;
          count++;
        },
      );
      write(io.stdout, `${c.config.name}: removed ${count} records, reclaimed ${humanSize(total)}`);
    }
    return unreachable.length === 0 ? ExitCode.success : ExitCode.buildFailed;
  } finally {
    await Promise.all(connected.map((c) => c.client.close()));
  }
}
