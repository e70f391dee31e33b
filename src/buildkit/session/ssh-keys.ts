/**
 * SSH private key files (OpenSSH's own format, or PEM) read into keys that can sign
 * the way an SSH agent does: ed25519, RSA (ssh-rsa, rsa-sha2-256, rsa-sha2-512) and
 * ECDSA on nistp256/384/521. Keys protected by a passphrase are refused: the user
 * loads those into ssh-agent and forwards its socket instead.
 */
import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import { readBoundedText, readLimits } from "../../support/read-file.js";

export class SshKeyError extends Error {
  override name = "SshKeyError";
}

export interface SshKey {
  /** The public key in SSH wire format (what `ssh-add -L` prints, base64-decoded). */
  readonly publicBlob: Buffer;
  readonly comment: string;
  /** An SSH signature blob (algorithm name, then the signature) over `data`. */
  sign(data: Buffer, flags: number): Buffer;
}

/** SSH_AGENT_RSA_SHA2_256 and SSH_AGENT_RSA_SHA2_512 in a sign request's flags. */
export const rsaSha2_256 = 2;
export const rsaSha2_512 = 4;

// --- SSH wire format -------------------------------------------------------------

export function sshString(b: Buffer | string): Buffer {
  const data = typeof b === "string" ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** An unsigned big-endian integer as an SSH mpint (a leading zero when the top bit is set). */
export function sshMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  let b = unsigned.subarray(i);
  if (b.length === 1 && b[0] === 0) b = Buffer.alloc(0);
  if (b.length > 0 && (b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

export class SshReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  uint32(): number {
    if (this.remaining < 4) throw new SshKeyError("truncated key data");
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(): Buffer {
    const n = this.uint32();
    if (this.remaining < n) throw new SshKeyError("truncated key data");
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  text(): string {
    return this.bytes().toString("utf8");
  }
  /** An mpint as unsigned big-endian bytes. */
  mpint(): Buffer {
    const b = this.bytes();
    return b.length > 0 && b[0] === 0 ? b.subarray(1) : b;
  }
}

// --- key files ----------------------------------------------------------------------

const b64url = (b: Buffer) => b.toString("base64url");
const fromB64url = (s: string | undefined) => Buffer.from(s ?? "", "base64url");

const curves: Record<string, { jwk: string; hash: string; size: number }> = {
  nistp256: { jwk: "P-256", hash: "sha256", size: 32 },
  nistp384: { jwk: "P-384", hash: "sha384", size: 48 },
  nistp521: { jwk: "P-521", hash: "sha512", size: 66 },
};

function toBigInt(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString("hex")}`);
}

function fromBigInt(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex");
}

/** The private key of an unencrypted OpenSSH-format file, as a KeyObject. */
function fromOpenSsh(body: Buffer, file: string): { key: KeyObject; comment: string } {
  const magic = "openssh-key-v1\0";
  if (body.subarray(0, magic.length).toString("latin1") !== magic)
    throw new SshKeyError(`${file} is not an OpenSSH private key`);
  const r = new SshReader(body.subarray(magic.length));
  const cipher = r.text();
  r.text(); // kdf name
  r.bytes(); // kdf options
  if (cipher !== "none")
    throw new SshKeyError(
      `${file} is protected by a passphrase; load it into ssh-agent (ssh-add) and forward the agent's socket instead`,
    );
  const count = r.uint32();
  if (count !== 1) throw new SshKeyError(`${file} holds ${count} keys; give one key per file`);
  r.bytes(); // public key
  const p = new SshReader(r.bytes());
  const check1 = p.uint32();
  const check2 = p.uint32();
  if (check1 !== check2) throw new SshKeyError(`${file} is corrupt (check bytes differ)`);
  const type = p.text();
  let jwk: Record<string, string>;
  if (type === "ssh-ed25519") {
    const pub = p.bytes();
    const priv = p.bytes();
    jwk = { kty: "OKP", crv: "Ed25519", x: b64url(pub), d: b64url(priv.subarray(0, 32)) };
  } else if (type === "ssh-rsa") {
    const n = p.mpint();
    const e = p.mpint();
    const d = p.mpint();
    const iqmp = p.mpint();
    const pp = p.mpint();
    const q = p.mpint();
    const dn = toBigInt(d);
    jwk = {
      kty: "RSA",
      n: b64url(n),
      e: b64url(e),
      d: b64url(d),
      p: b64url(pp),
      q: b64url(q),
      dp: b64url(fromBigInt(dn % (toBigInt(pp) - 1n))),
      dq: b64url(fromBigInt(dn % (toBigInt(q) - 1n))),
      qi: b64url(iqmp),
    };
  } else if (type.startsWith("ecdsa-sha2-")) {
    const curve = curves[p.text()];
    if (!curve) throw new SshKeyError(`${file}: unsupported ECDSA curve`);
    const point = p.bytes();
    const d = p.mpint();
    const coord = (b: Buffer) =>
      Buffer.concat([Buffer.alloc(Math.max(0, curve.size - b.length)), b]);
    jwk = {
      kty: "EC",
      crv: curve.jwk,
      x: b64url(coord(point.subarray(1, 1 + curve.size))),
      y: b64url(coord(point.subarray(1 + curve.size))),
      d: b64url(coord(d)),
    };
  } else {
    throw new SshKeyError(`${file}: unsupported key type ${type}`);
  }
  const comment = p.text();
  return { key: createPrivateKey({ key: jwk, format: "jwk" }), comment };
}

function publicBlobOf(key: KeyObject): {
  blob: Buffer;
  type: string;
  curve?: (typeof curves)[string];
} {
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519")
    return {
      type: "ssh-ed25519",
      blob: Buffer.concat([sshString("ssh-ed25519"), sshString(fromB64url(jwk.x))]),
    };
  if (jwk.kty === "RSA")
    return {
      type: "ssh-rsa",
      blob: Buffer.concat([
        sshString("ssh-rsa"),
        sshMpint(fromB64url(jwk.e)),
        sshMpint(fromB64url(jwk.n)),
      ]),
    };
  if (jwk.kty === "EC") {
    const name = Object.keys(curves).find((c) => curves[c]!.jwk === jwk.crv);
    if (name) {
      const type = `ecdsa-sha2-${name}`;
      const point = Buffer.concat([Buffer.from([4]), fromB64url(jwk.x), fromB64url(jwk.y)]);
      return {
        type,
        curve: curves[name]!,
        blob: Buffer.concat([sshString(type), sshString(name), sshString(point)]),
      };
    }
  }
  throw new SshKeyError(`unsupported key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}`);
}

/** Reads one private key file. */
export function readSshKey(file: string): SshKey {
  let text: string;
  try {
    text = readBoundedText(file, readLimits.keyFile, "ssh key");
  } catch (err) {
    throw new SshKeyError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let key: KeyObject;
  let comment = file;
  const openssh =
    /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) {
    const parsed = fromOpenSsh(Buffer.from(openssh[1]!.replace(/\s+/g, ""), "base64"), file);
    key = parsed.key;
    comment = parsed.comment || file;
  } else {
    try {
      key = createPrivateKey({ key: text, format: "pem" });
    } catch (err) {
      const msg = (err as Error).message;
      throw new SshKeyError(
        /passphrase|encrypted|bad decrypt/i.test(msg)
          ? `${file} is protected by a passphrase; load it into ssh-agent (ssh-add) and forward the agent's socket instead`
          : `${file} is not a private key mbake can read (${msg})`,
      );
    }
  }
  const pub = publicBlobOf(key);
  return {
    publicBlob: pub.blob,
    comment,
    sign(data, flags) {
      if (pub.type === "ssh-ed25519")
        return Buffer.concat([sshString("ssh-ed25519"), sshString(sign(null, data, key))]);
      if (pub.type === "ssh-rsa") {
        const [name, hash] =
          flags & rsaSha2_512
            ? ["rsa-sha2-512", "sha512"]
            : flags & rsaSha2_256
              ? ["rsa-sha2-256", "sha256"]
              : ["ssh-rsa", "sha1"];
        return Buffer.concat([sshString(name), sshString(sign(hash, data, key))]);
      }
      const curve = pub.curve!;
      const rs = sign(curve.hash, data, { key, dsaEncoding: "ieee-p1363" });
      const half = rs.length / 2;
      const inner = Buffer.concat([sshMpint(rs.subarray(0, half)), sshMpint(rs.subarray(half))]);
      return Buffer.concat([sshString(pub.type), sshString(inner)]);
    },
  };
}
