/**
 * grpc.health.v1.Health: BuildKit checks every session's health about once a second
 * and closes the session when checks fail, so every session must serve it.
 */
import type * as grpc from "@grpc/grpc-js";
import { healthDefinition } from "../api/services.js";
import type { SessionService } from "./service.js";

const definition = healthDefinition;

export function healthService(): SessionService {
  return {
    name: "grpc.health.v1.Health",
    definition,
    implementation: {
      Check(_call: unknown, cb: grpc.sendUnaryData<{ status: number }>) {
        cb(null, { status: 1 });
      },
    },
  };
}
