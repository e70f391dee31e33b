/** fsutil's file metadata: Go's os.FileMode bits and the Stat message. */
import type { BigIntStats } from "node:fs";

export const PacketType = { STAT: 0, REQ: 1, DATA: 2, FIN: 3, ERR: 4 } as const;

const GO_MODE_DIR = 0x80000000;
const GO_MODE_SYMLINK = 1 << 27;
const GO_MODE_NAMED_PIPE = 1 << 25;
const GO_MODE_SOCKET = 1 << 24;
const GO_MODE_SETUID = 1 << 23;
const GO_MODE_SETGID = 1 << 22;
const GO_MODE_CHARDEV = 1 << 21;
const GO_MODE_DEVICE = 1 << 26;
const GO_MODE_STICKY = 1 << 20;

export interface StatMessage {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: string;
  modTime: string;
  linkname: string;
  devmajor: string;
  devminor: string;
  xattrs: Record<string, Buffer>;
}

/** Unix st_mode to Go's os.FileMode (what fsutil puts on the wire). */
export function goFileMode(unixMode: number): number {
  let m = unixMode & 0o777;
  const type = unixMode & 0o170000;
  if (type === 0o040000) m |= GO_MODE_DIR;
  else if (type === 0o120000) m |= GO_MODE_SYMLINK;
  else if (type === 0o010000) m |= GO_MODE_NAMED_PIPE;
  else if (type === 0o140000) m |= GO_MODE_SOCKET;
  else if (type === 0o020000) m |= GO_MODE_DEVICE | GO_MODE_CHARDEV;
  else if (type === 0o060000) m |= GO_MODE_DEVICE;
  if (unixMode & 0o4000) m |= GO_MODE_SETUID;
  if (unixMode & 0o2000) m |= GO_MODE_SETGID;
  if (unixMode & 0o1000) m |= GO_MODE_STICKY;
  return m >>> 0;
}

export function isGoDir(mode: number): boolean {
  return (mode & GO_MODE_DIR) !== 0;
}

export function isGoSymlink(mode: number): boolean {
  return (mode & GO_MODE_SYMLINK) !== 0;
}

export function isGoRegular(mode: number): boolean {
  return (
    (mode &
      (GO_MODE_DIR | GO_MODE_SYMLINK | GO_MODE_NAMED_PIPE | GO_MODE_SOCKET | GO_MODE_DEVICE)) ===
    0
  );
}

/** The permission bits of a Go file mode (with setuid/setgid/sticky) as a unix mode. */
export function unixPermissions(goMode: number): number {
  let m = goMode & 0o777;
  if (goMode & GO_MODE_SETUID) m |= 0o4000;
  if (goMode & GO_MODE_SETGID) m |= 0o2000;
  if (goMode & GO_MODE_STICKY) m |= 0o1000;
  return m;
}

export function statMessage(path: string, st: BigIntStats, linkname: string): StatMessage {
  const isFile = (Number(st.mode) & 0o170000) === 0o100000;
  return {
    path,
    mode: goFileMode(Number(st.mode)),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: isFile ? String(st.size) : "0",
    modTime: String(st.mtimeNs),
    linkname,
    devmajor: "0",
    devminor: "0",
    xattrs: {},
  };
}
