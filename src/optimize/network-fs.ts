/**
 * Is a path on a network filesystem? SQLite's locks are unreliable there (NFS, CIFS, Lustre,
 * GPFS, sshfs), the classic way to corrupt a study shared by several machines. Read from
 * /proc/mounts (Linux): the filesystem type of the longest mount point holding the path.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';

const NETWORK_TYPES = /^(nfs|nfs4|cifs|smb3|smbfs|lustre|gpfs|beegfs|glusterfs|ceph|9p|fuse\.sshfs|fuse\.glusterfs|fuse\.ceph)$/;

/** Octal escapes in /proc/mounts (`\040` for a space). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The network filesystem type holding `path` (or its nearest existing parent), undefined when local or unknown. */
export function networkFilesystem(path: string, mounts = '/proc/mounts'): string | undefined {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  let real: string;
  let table: string;
  try {
    real = realpathSync(p);
    table = readFileSync(mounts, 'utf8');
  } catch {
    return undefined;
  }
  let best: { at: string; type: string } | undefined;
  for (const line of table.split('\n')) {
    const [, at, type] = line.split(' ');
    if (!at || !type) continue;
    const mount = unescape(at);
    const inside = real === mount || real.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (inside && (!best || mount.length >= best.at.length)) best = { at: mount, type };
  }
  return best && NETWORK_TYPES.test(best.type) ? best.type : undefined;
}
