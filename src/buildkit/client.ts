/**
 * A connection to one BuildKit endpoint: a Docker Engine's embedded BuildKit (through
 * its /grpc and /session upgrades) or a buildkitd (unix, tcp with TLS, or a stdio
 * dialer such as `docker exec ... buildctl dial-stdio`).
 */
import { randomUUID } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { availableParallelism, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { SolveStatus } from "../progress/status.js";
import { parseReference, tagOf } from "../registry/reference.js";
import {
  CancelledError,
  settledWithin,
  throwIfAborted,
  untilAborted,
  whenAborted,
} from "../support/abort.js";
import { defaultRootsWithDeferred } from "../support/deferred-ca.js";
import { credentialsFor, readDockerConfig } from "../support/docker-config.js";
import { readBoundedFile, readLimits } from "../support/read-file.js";
import { processSecrets } from "../support/secret-texts.js";
import { traceClock, traced, tracePhase } from "../support/trace.js";
import { markWorkStarted } from "../support/work-started.js";
import { type DaemonFacts, deriveCapabilities } from "./capabilities.js";
import { ControlApi, type UsageRecord, type WorkerInfo } from "./control/control.js";
import { authService } from "./session/auth.js";
import {
  type OpenSession,
  openControlSession,
  openEngineSession,
  sharedKeyFor,
} from "./session/connection.js";
import { contentService } from "./session/content.js";
import { type OutputReceiver, receiveOutput } from "./session/filesend.js";
import { fileSyncService } from "./session/filesync.js";
import {
  closeLocalCache,
  type LocalCachePlan,
  prepareLocalCache,
  recordLocalCacheExports,
} from "./session/local-cache.js";
import { prepareOciContexts } from "./session/oci-contexts.js";
import { exportStoreId, ociExportStore, recordOciExport } from "./session/oci-export.js";
import type { OciLayoutStore } from "./session/oci-layout-store.js";
import { loadSecrets, secretsService } from "./session/secrets.js";
import type { SessionService } from "./session/service.js";
import { type SharedLease, SharedSessionPool } from "./session/shared-sessions.js";
import { prepareSshAgents, type SshAgents, sshService } from "./session/ssh.js";
import { planSolve, type SolvePlan } from "./solve/request.js";
import { sbomScannerFailure } from "./solve/sbom.js";
import type { BuildSpec, Capabilities } from "./solve/spec.js";
import { dockerHostSocket, parseAddress, stdioCommand } from "./transport/address.js";
import { type Bridge, openBridge } from "./transport/bridge.js";
import { engineRequest, hijack, isDockerEngine, loadImageTar } from "./transport/engine.js";
import { spawnStdio } from "./transport/stdio.js";

export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

export interface BuildOptions {
  readonly signal: AbortSignal;
  readonly onStatus: (s: SolveStatus) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where a tar output to "-" goes. */
  readonly stdout?: NodeJS.WritableStream;
  /** Sent to registries when mbake fetches tokens for the daemon ("mbake/0.1.0"). */
  readonly userAgent?: string;
  /** Things the user should know that do not stop the build (a local cache not there yet). */
  readonly onWarning?: (message: string) => void;
  /**
   * Other solves of this run may read the same local folders at the same time: serve them
   * through the client's shared sessions (where the daemon can), so each is synced once.
   * A run of one target leaves it out and opens no session it would not share.
   */
  readonly shareLocalDirs?: boolean;
}

export interface BuildResult {
  readonly exporterResponse: Record<string, string>;
  /** Digests of images the Engine pushed, by name. */
  readonly pushed: Record<string, string>;
  /** Images loaded into the local Docker Engine (type=docker on a buildkitd). */
  readonly loaded?: readonly string[];
}

/** The daemon or its connection went away: the job may run elsewhere. */
export class EndpointGoneError extends Error {
  override name = "EndpointGoneError";
}

/** The build itself failed (a step errored, the Dockerfile is wrong, ...). */
export class BuildFailedError extends Error {
  override name = "BuildFailedError";
  constructor(
    message: string,
    readonly failedStep?: string,
  ) {
    super(message);
  }
}

const goneCodes = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

function describeGrpcError(err: unknown): string {
  const e = err as grpc.ServiceError;
  return e?.details || e?.message || String(err);
}

/** Local caches, oci-layout contexts and the oci export store, around planSolve. */
function preparePlan(spec: BuildSpec, caps: Capabilities, opts: BuildOptions) {
  const localCache = prepareLocalCache(spec.cacheFrom, spec.cacheTo);
  for (const w of localCache.warnings) opts.onWarning?.(w);
  // Without named contexts in the frontend, planSolve says why an oci-layout:// cannot be used.
  const oci = caps.namedContexts
    ? prepareOciContexts(spec.namedContexts)
    : { namedContexts: spec.namedContexts, stores: new Map<string, OciLayoutStore>() };
  const plan = planSolve(
    {
      ...spec,
      cacheFrom: localCache.cacheFrom,
      cacheTo: localCache.cacheTo,
      namedContexts: oci.namedContexts,
    },
    caps,
  );
  const exportStore = plan.exportStore ? ociExportStore(plan.exportStore) : undefined;
  const stores = new Map([
    ...localCache.stores,
    ...oci.stores,
    ...(exportStore ? ([[exportStoreId, exportStore]] as const) : []),
  ]);
  return { plan, localCache, exportStore, stores };
}

/** The session's services: files, auth, secrets, ssh agents, the output, content stores. */
function sessionServices(
  plan: SolvePlan,
  opts: BuildOptions,
  secrets: ReturnType<typeof loadSecrets>,
  ssh: SshAgents,
  receiver: OutputReceiver | undefined,
  stores: ReadonlyMap<string, OciLayoutStore>,
  onSessionError: (e: Error) => void,
): SessionService[] {
  return [
    fileSyncService(plan.dirs, onSessionError),
    authService(opts.env, opts.userAgent),
    secretsService(secrets),
    ...(ssh.sockets.size > 0 ? [sshService(ssh.sockets)] : []),
    ...(receiver ? [receiver.service] : []),
    ...(stores.size > 0 ? [contentService(stores)] : []),
  ];
}

/** Where an image tar for the local Docker Engine (type=docker on a buildkitd) goes. */
interface DockerLoad {
  readonly socket: string;
  readonly tar: string;
}

/** What finishBuild needs from a build whose solve succeeded. */
interface SolvedBuild {
  readonly response: Record<string, string>;
  readonly plan: SolvePlan;
  readonly opts: BuildOptions;
  readonly receiver: OutputReceiver | undefined;
  readonly statusDone: Promise<void>;
  readonly load: DockerLoad | undefined;
  readonly localCache: LocalCachePlan;
  readonly exportStore: OciLayoutStore | undefined;
  /** Aborts the build's own work (the pushes). */
  readonly signal: AbortSignal;
}

/**
 * The exporter response users see. After an Engine push, the digest users need is the
 * registry's manifest digest; the moby exporter's own "digest" is the image ID (its
 * config digest).
 */
function exporterResponse(
  response: Record<string, string>,
  pushed: Record<string, string>,
): Record<string, string> {
  const digest = Object.values(pushed)[0];
  return {
    ...response,
    ...(digest
      ? {
          "containerimage.digest": digest,
          ...(response["containerimage.digest"] && !response["containerimage.config.digest"]
            ? { "containerimage.config.digest": response["containerimage.digest"] }
            : {}),
        }
      : {}),
  };
}

export class BuildkitClient {
  private caps: Capabilities | undefined;
  private readonly sharedSessions = new SharedSessionPool((sharedKey, services) =>
    this.engineSocket
      ? openEngineSession(this.engineSocket, sharedKey, services)
      : Promise.resolve(openControlSession(this.control, sharedKey, services)),
  );

  private constructor(
    readonly address: string,
    readonly control: ControlApi,
    private readonly engineSocket: string | undefined,
    private readonly bridge: Bridge | undefined,
  ) {}

  /** Connects (lazily: the first call dials) to an endpoint address. */
  static async connect(
    address: string,
    tls: TlsFiles = {},
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): Promise<BuildkitClient> {
    const a = parseAddress(address, env);
    markWorkStarted();
    switch (a.kind) {
      case "docker":
        return BuildkitClient.engine(address, a.socketPath);
      case "unix":
        if (await isDockerEngine(a.path)) return BuildkitClient.engine(address, a.path);
        if (!existsSync(a.path))
          throw new EndpointGoneError(`${address}: no socket at ${a.path}; is the daemon running?`);
        return new BuildkitClient(
          address,
          new ControlApi(`unix://${a.path}`),
          undefined,
          undefined,
        );
      case "tcp": {
        const creds =
          tls.ca || tls.cert
            ? grpc.credentials.createSsl(
                tls.ca
                  ? readBoundedFile(tls.ca, readLimits.keyFile, "TLS CA certificate (ca=)")
                  : defaultRootsWithDeferred(env),
                tls.key ? readBoundedFile(tls.key, readLimits.keyFile, "TLS key (key=)") : null,
                tls.cert
                  ? readBoundedFile(tls.cert, readLimits.keyFile, "TLS certificate (cert=)")
                  : null,
              )
            : grpc.credentials.createInsecure();
        const options: grpc.ChannelOptions = tls.serverName
          ? {
              "grpc.ssl_target_name_override": tls.serverName,
              "grpc.default_authority": tls.serverName,
            }
          : {};
        return new BuildkitClient(
          address,
          new ControlApi(`${a.host}:${a.port}`, creds, options),
          undefined,
          undefined,
        );
      }
      default: {
        const cmd = stdioCommand(a)!;
        const bridge = await openBridge(() => spawnStdio(cmd.command, cmd.args));
        return new BuildkitClient(address, new ControlApi(bridge.address), undefined, bridge);
      }
    }
  }

  private static async engine(address: string, socketPath: string): Promise<BuildkitClient> {
    const bridge = await openBridge(() => hijack(socketPath, "/grpc"));
    return new BuildkitClient(address, new ControlApi(bridge.address), socketPath, bridge);
  }

  get isDockerEngine(): boolean {
    return this.engineSocket !== undefined;
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    try {
      return await this.control.listWorkers();
    } catch (err) {
      throw new EndpointGoneError(`${this.address}: ListWorkers failed: ${describeGrpcError(err)}`);
    }
  }

  /** What this endpoint can do, asked of the daemon once per client (one per endpoint and run). */
  async capabilities(): Promise<Capabilities> {
    if (!this.caps) this.caps = deriveCapabilities(await this.daemonFacts());
    return this.caps;
  }

  /** Takes capabilities this daemon process gave before (the capability cache) instead of asking. */
  takeCapabilities(caps: Capabilities): void {
    this.caps = caps;
  }

  private async daemonFacts(): Promise<DaemonFacts> {
    const [workers, info, engine] = await Promise.all([
      this.listWorkers(),
      // Unimplemented (before v0.11) answers undefined; any other failure says nothing either.
      this.control.info().catch(() => undefined),
      this.engineSocket ? engineFacts(this.engineSocket) : Promise.resolve(undefined),
    ]);
    const workerVersion = workers.find((w) => w.buildkitVersion)?.buildkitVersion;
    return {
      endpoint: this.address,
      platforms: [...new Set(workers.flatMap((w) => w.platforms))],
      workerLabels: workers.map((w) => w.labels),
      ...(workerVersion ? { workerVersion } : {}),
      ...(info ? { info } : {}),
      ...(engine ? { engine } : {}),
      // A daemon on a local socket may be this machine's own: its workers then name this host.
      ...(this.address.startsWith("unix://")
        ? { localHost: { hostname: hostname(), cpus: availableParallelism() } }
        : {}),
    };
  }

  async diskUsage(): Promise<UsageRecord[]> {
    return this.control.diskUsage();
  }

  async prune(
    opts: { all: boolean; keepDurationMs?: number; keepBytes?: number },
    onRecord: (r: UsageRecord) => void,
  ): Promise<void> {
    return this.control.prune(opts, onRecord);
  }

  /** Opens the build's session; an abort while it opens (or just after) closes it: CancelledError. */
  private async openSession(
    sharedKey: string,
    services: SessionService[],
    signal: AbortSignal,
  ): Promise<OpenSession> {
    const session = this.engineSocket
      ? await openEngineSession(this.engineSocket, sharedKey, services, signal)
      : openControlSession(this.control, sharedKey, services);
    if (signal.aborted) {
      session.close();
      throw new CancelledError();
    }
    return session;
  }

  /**
   * The build's own session and, when the run asks (shareLocalDirs) and the daemon's
   * frontend takes `local-sessionid:`, the shared sessions that serve its local folders to
   * all this client's concurrent solves (not for subrequests, which read little). The own
   * session keeps serving the folders too, for a frontend (`# syntax=`) that ignores the
   * attribute. Opened side by side; if one fails, the other is closed or released.
   */
  private async openSessions(
    spec: BuildSpec,
    plan: SolvePlan,
    caps: Capabilities,
    services: SessionService[],
    { signal, shareLocalDirs }: BuildOptions,
    onSharedError: (e: Error) => void,
  ): Promise<{ session: OpenSession; shared: SharedLease | undefined }> {
    const sharedKey = sharedKeyFor(spec.contextDir);
    const share =
      shareLocalDirs === true &&
      caps.localSessionIds === true &&
      !plan.gateway &&
      Object.keys(plan.dirs).length > 0;
    const [own, shared] = await Promise.allSettled([
      this.openSession(sharedKey, services, signal),
      share
        ? this.sharedSessions.acquire(sharedKey, plan.dirs, signal, onSharedError)
        : Promise.resolve(undefined),
    ]);
    if (own.status === "fulfilled" && shared.status === "fulfilled")
      return { session: own.value, shared: shared.value };
    if (own.status === "fulfilled") own.value.close();
    if (shared.status === "fulfilled") shared.value?.release();
    throw own.status === "rejected" ? own.reason : (shared as PromiseRejectedResult).reason;
  }

  /** Builds one spec: session, Solve and Status share one cancellation. */
  async build(spec: BuildSpec, opts: BuildOptions): Promise<BuildResult> {
    // Every await below is a cancellation point: an abort that came before a listener
    // was attached must still stop the build before it starts new work.
    throwIfAborted(opts.signal);
    const caps = await untilAborted(this.capabilities(), opts.signal);
    const { plan, localCache, exportStore, stores } = preparePlan(spec, caps, opts);
    const secrets = loadSecrets(spec.secrets, opts.env);
    const load = plan.loadIntoDocker ? await this.dockerLoadTarget(opts) : undefined;
    const ssh = await prepareSshAgents(spec.ssh ?? [], opts.env);
    if (opts.signal.aborted) {
      await ssh.close();
      throw new CancelledError();
    }
    const receiver = plan.receive
      ? receiveOutput(plan.receive.kind, plan.receive.dest, opts.stdout)
      : load
        ? receiveOutput("tar", load.tar)
        : undefined;
    let sessionError: Error | undefined;
    const services = sessionServices(plan, opts, secrets, ssh, receiver, stores, (e) => {
      sessionError = e;
    });
    let session: OpenSession;
    let shared: SharedLease | undefined;
    try {
      ({ session, shared } = await traced(`session open ${this.address}`, () =>
        this.openSessions(spec, plan, caps, services, opts, (e) => {
          sessionError = e;
        }),
      ));
    } catch (err) {
      await ssh.close();
      throwIfAborted(opts.signal);
      // Nothing ran yet: another endpoint can take the build.
      throw new EndpointGoneError(
        `${this.address}: cannot open a session: ${(err as Error).message}`,
      );
    }
    const ref = randomUUID().replace(/-/g, "").slice(0, 25);
    const controller = new AbortController();
    const abort = () => controller.abort();
    const detachAbort = whenAborted(opts.signal, abort);
    // A session that drops mid-build (its stream cut, the daemon gone) ends the solve now: the
    // daemon cannot read the context or send the output any more, and would only time out.
    let sessionDropped = false;
    let solving = true;
    const dropped = () => {
      if (!solving) return;
      sessionDropped = true;
      controller.abort();
    };
    session.onDropped(dropped);
    shared?.onDropped(dropped);
    // An output that cannot be written (disk full) ends the solve now, not when the daemon gives up.
    receiver?.done.catch(() => {
      if (receiver.failure()) controller.abort();
    });
    let lastError: { step?: string; message?: string } = {};
    const statusDone = this.control.status(
      ref,
      (s) => {
        for (const v of s.vertexes) if (v.error) lastError = { step: v.name, message: v.error };
        opts.onStatus(s);
      },
      controller.signal,
    );
    try {
      const response = await traced(`solve ${this.address}`, () =>
        this.solveOrAsk(ref, session.id, plan, shared?.attrs ?? {}, controller.signal),
      );
      solving = false;
      return await this.finishBuild({
        response,
        plan,
        opts,
        receiver,
        statusDone,
        load,
        localCache,
        exportStore,
        signal: controller.signal,
      });
    } catch (err) {
      // The session closes first: a file the daemon still sends cannot land after the discard.
      session.close();
      shared?.release();
      receiver?.discard();
      // The failed step's name can still be on its way in the status stream (a session
      // service's own error ends the solve before the daemon reports the step): wait for the
      // stream's end a little, never past a cancellation.
      if (lastError.step === undefined)
        await untilAborted(settledWithin(statusDone, 1000), opts.signal).catch(() => {});
      throw this.solveFailure(err, {
        signal: opts.signal,
        receiver,
        sessionError,
        sessionDropped,
        failedStep: lastError.step,
        spec,
      });
    } finally {
      if (load) rmSync(load.tar, { force: true });
      detachAbort();
      controller.abort();
      session.close();
      shared?.release();
      closeLocalCache(localCache);
      if (exportStore)
        closeLocalCache({ ...localCache, stores: new Map([["export", exportStore]]) });
      await ssh.close();
    }
  }

  /**
   * The Solve; for a subrequest also the frontend asked through the gateway, whose answer
   * (result.json, result.txt, result.statuscode, version) joins the response as buildx joins it.
   */
  private async solveOrAsk(
    ref: string,
    sessionId: string,
    plan: SolvePlan,
    sharedAttrs: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<Record<string, string>> {
    const request = {
      ...plan.request,
      FrontendAttrs: { ...plan.request.FrontendAttrs, ...sharedAttrs },
      Ref: ref,
      Session: sessionId,
    } as Parameters<ControlApi["solve"]>[0];
    if (!plan.gateway) return this.control.solve(request, signal);
    const { frontend, opts } = plan.gateway;
    const [response, answer] = await Promise.all([
      this.control.solve(request, signal),
      this.control.frontendRequest(ref, frontend, opts, signal),
    ]);
    return { ...response, ...answer };
  }

  /** For type=docker on a buildkitd: the Engine to load into, and where its tar lands first. */
  private async dockerLoadTarget(opts: BuildOptions): Promise<DockerLoad> {
    const socket = dockerHostSocket(opts.env);
    const engineAnswers = await isDockerEngine(socket);
    throwIfAborted(opts.signal);
    if (!engineAnswers)
      throw new BuildFailedError(
        `output type=docker on ${this.address} loads the image into the local Docker Engine, but none answers at ${socket}; start it, set DOCKER_HOST, or write a tar with dest=`,
      );
    return { socket, tar: join(tmpdir(), `mbake-load-${randomUUID()}.tar`) };
  }

  /** After the solve: waits for the output, puts it in place, loads, records and pushes. */
  private async finishBuild(run: SolvedBuild): Promise<BuildResult> {
    const { response, opts, receiver, load } = run;
    const exporting = traceClock();
    // The waits end at once on an abort: CancelledError, and nothing is put in place.
    if (receiver) await untilAborted(settledWithin(receiver.done, 30_000), opts.signal);
    await untilAborted(settledWithin(run.statusDone, 2000), opts.signal);
    // Cancelled while the daemon finished: nothing is put in place or pushed.
    throwIfAborted(opts.signal);
    receiver?.commit();
    let loaded: string[] = [];
    if (load) {
      try {
        loaded = await loadImageTar(load.socket, load.tar, opts.signal);
      } catch (err) {
        if (err instanceof CancelledError) throw err;
        throw new BuildFailedError((err as Error).message);
      }
    }
    recordLocalCacheExports(run.localCache, response);
    if (run.exportStore) recordOciExport(run.exportStore, response);
    const pushed: Record<string, string> = {};
    for (const name of run.plan.pushAfter) {
      throwIfAborted(opts.signal);
      pushed[name] = await this.pushAfterBuild(name, opts.env, run.signal);
    }
    tracePhase(`export ${this.address}`, exporting);
    return {
      exporterResponse: exporterResponse(response, pushed),
      pushed,
      ...(loaded.length > 0 ? { loaded } : {}),
    };
  }

  /** What a failed solve ends with: cancelled, the output, the endpoint gone, or the build. */
  private solveFailure(
    err: unknown,
    at: {
      readonly signal: AbortSignal;
      readonly receiver: OutputReceiver | undefined;
      readonly sessionError: Error | undefined;
      readonly sessionDropped: boolean;
      readonly failedStep: string | undefined;
      readonly spec: BuildSpec;
    },
  ): Error {
    const { signal, receiver, sessionError, failedStep, spec } = at;
    if (signal.aborted) return new CancelledError();
    // The output could not be written here (disk full, read-only): say that, not the
    // daemon's view of the broken stream; another endpoint would fail the same way.
    const outputFailure = receiver?.failure();
    if (outputFailure) return new BuildFailedError(outputFailure.message);
    if (err instanceof BuildFailedError || err instanceof EndpointGoneError) return err;
    const code = (err as grpc.ServiceError).code;
    const message = describeGrpcError(err);
    // Nothing was put in place before the solve ended: another endpoint can take the build.
    if (at.sessionDropped)
      return new EndpointGoneError(`${this.address}: the session connection dropped (${message})`);
    if (
      goneCodes.has(code) ||
      /ECONNREFUSED|ENOENT|EPIPE|ECONNRESET|socket hang up|Connection dropped/i.test(message)
    ) {
      return new EndpointGoneError(`${this.address}: ${message}`);
    }
    // mbake's own error in a session service (a context file that changed) says it best;
    // the daemon often only repeats it inside its wrapping.
    const sbom = sbomScannerFailure(spec.attest, this.address, failedStep, message);
    if (sbom) return new BuildFailedError(sbom, failedStep);
    const why = sessionError
      ? message.includes(sessionError.message)
        ? sessionError.message
        : `${message} (${sessionError.message})`
      : message;
    return new BuildFailedError(why, failedStep);
  }

  /**
   * A push that has begun has side effects (blobs, maybe the tag): if the Engine goes away
   * now, the build fails here instead of moving to another endpoint.
   */
  private async pushAfterBuild(
    name: string,
    env: Readonly<Record<string, string | undefined>>,
    signal: AbortSignal,
  ): Promise<string> {
    try {
      return await this.pushImage(name, env, signal);
    } catch (err) {
      if (err instanceof BuildFailedError) throw err;
      throw new BuildFailedError(
        `${this.address} went away while pushing ${name} (${(err as Error).message}); part of the image may be in the registry, so it is not retried on another endpoint: run mbake again`,
      );
    }
  }

  /** Pushes an image from the Engine's store through the Engine API; returns its digest. */
  async pushImage(
    name: string,
    env: Readonly<Record<string, string | undefined>>,
    signal?: AbortSignal,
  ): Promise<string> {
    if (!this.engineSocket) throw new Error("pushImage is only for Docker Engine endpoints");
    const ref = parseReference(name);
    const repo = ref.name;
    const tag = tagOf(ref);
    const host = ref.host;
    const creds = credentialsFor(readDockerConfig(env), host);
    // The Engine decodes X-Registry-Auth as padded URL-safe base64 (Go's base64.URLEncoding).
    const auth = Buffer.from(
      JSON.stringify(
        creds ? { username: creds.username, password: creds.secret, serveraddress: host } : {},
      ),
    )
      .toString("base64")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    if (creds) processSecrets.add(auth);
    let digest = "";
    let error = "";
    if (signal) throwIfAborted(signal);
    const res = await engineRequest(
      this.engineSocket,
      "POST",
      `/images/${encodeURIComponent(repo)}/push?tag=${encodeURIComponent(tag)}`,
      {
        headers: { "X-Registry-Auth": auth },
        timeoutMs: 600_000,
        ...(signal ? { signal } : {}),
        onLine: (line) => {
          try {
            const m = JSON.parse(line) as { error?: string; aux?: { Digest?: string } };
            if (m.error) error = m.error;
            if (m.aux?.Digest) digest = m.aux.Digest;
          } catch {
            // not a JSON line
          }
        },
      },
    );
    if (res.status !== 200 || error) {
      throw new BuildFailedError(
        `pushing ${name} from ${this.address} failed: ${error || res.body.slice(0, 300)}`,
      );
    }
    if (!digest)
      throw new BuildFailedError(
        `pushing ${name} from ${this.address} ended without the Engine naming the pushed digest; the push may be incomplete: run mbake again`,
      );
    return digest;
  }

  async close(): Promise<void> {
    this.sharedSessions.closeAll();
    this.control.close();
    await this.bridge?.close();
  }
}

/** A Docker Engine's version, API version and image store, from /version and /info. */
async function engineFacts(socketPath: string): Promise<NonNullable<DaemonFacts["engine"]>> {
  const get = async (path: string): Promise<Record<string, unknown>> => {
    const res = await engineRequest(socketPath, "GET", path).catch(() => undefined);
    if (res?.status !== 200) return {};
    try {
      return JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const [version, info] = await Promise.all([get("/version"), get("/info")]);
  const text = (v: unknown): string | undefined =>
    typeof v === "string" && v !== "" ? v : undefined;
  const status = Array.isArray(info.DriverStatus) ? (info.DriverStatus as unknown[]) : [];
  const driverType = status.find(
    (p): p is [string, string] => Array.isArray(p) && p[0] === "driver-type",
  )?.[1];
  const cpus =
    typeof info.NCPU === "number" && Number.isInteger(info.NCPU) && info.NCPU >= 1
      ? info.NCPU
      : undefined;
  const facts = {
    cpus,
    version: text(version.Version),
    apiVersion: text(version.ApiVersion),
    storageDriver: text(info.Driver),
    driverType: text(driverType),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
}

/** The endpoint to use when none is configured: BUILDKIT_HOST, buildkitd's socket, then the Docker Engine. */
export function discoverEndpoint(
  env: Readonly<Record<string, string | undefined>>,
  exists: (p: string) => boolean = existsSync,
): { address: string; tried: string[] } | { address?: undefined; tried: string[] } {
  const tried: string[] = [];
  if (env.BUILDKIT_HOST) return { address: env.BUILDKIT_HOST, tried: ["BUILDKIT_HOST"] };
  tried.push("BUILDKIT_HOST (not set)");
  if (exists("/run/buildkit/buildkitd.sock"))
    return { address: "unix:///run/buildkit/buildkitd.sock", tried };
  tried.push("/run/buildkit/buildkitd.sock (no socket)");
  const docker = env.DOCKER_HOST?.startsWith("unix://")
    ? env.DOCKER_HOST.slice(7)
    : "/var/run/docker.sock";
  if (exists(docker)) return { address: `unix://${docker}`, tried };
  tried.push(`${docker} (no Docker Engine socket)`);
  return { tried };
}
