/**
 * The session's token authority (BuildKit v0.9+ asks for it): an Ed25519 key per registry
 * host that the daemon keeps and later has the session prove it holds. When a session
 * offers one, the daemon asks it for registry tokens through Auth.FetchToken instead of
 * asking for the credentials and fetching tokens itself, so the credentials stay here.
 * The key is derived from a secret made once per process, the host and the daemon's
 * salt: the same for the same host and salt for the whole run, unknown to anyone else.
 */
import { createHmac, createPrivateKey, type KeyObject, randomBytes, sign } from "node:crypto";

const processSecret = randomBytes(32);

/** An Ed25519 private key from its 32-byte seed (PKCS#8 wrapping of RFC 8410). */
function ed25519FromSeed(seed: Buffer): KeyObject {
  const prefix = Buffer.from("302e020100300506032b657004220420", "hex");
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: "der", type: "pkcs8" });
}

export function authorityKey(host: string, salt: Uint8Array, secret: Buffer = processSecret) {
  const seed = createHmac("sha256", Buffer.from(salt))
    .update(secret)
    .update(host)
    .digest()
    .subarray(0, 32);
  const privateKey = ed25519FromSeed(seed);
  const jwk = privateKey.export({ format: "jwk" }) as { x?: string };
  return { privateKey, publicKey: Buffer.from(jwk.x ?? "", "base64url") };
}

/** The public key the daemon keeps for this host (32 bytes). */
export function authorityPublicKey(host: string, salt: Uint8Array): Buffer {
  return authorityKey(host, salt).publicKey;
}

/** The payload signed as NaCl's sign does it: the 64-byte signature, then the payload. */
export function signAsAuthority(host: string, salt: Uint8Array, payload: Uint8Array): Buffer {
  const { privateKey } = authorityKey(host, salt);
  return Buffer.concat([sign(null, Buffer.from(payload), privateKey), Buffer.from(payload)]);
}
