import { readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

const TCP_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/**
 * The bytes the kernel holds for `socket` that its peer has not acknowledged (Linux's `tx_queue`
 * in /proc/net/tcp), or null where that cannot be read. Node sees a socket drain only when the
 * kernel takes more from it, which with a send queue of megabytes it does only after a third of
 * the queue has gone: a client reading slowly and steadily can take longer than that.
 */
export async function unacknowledgedBytes(socket: Socket): Promise<number | null> {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return null;
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/self/fd/${fd}`))?.[1];
    if (!inode) return null;
    for (const table of TCP_TABLES) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const line = (await readFile(table, 'latin1')).split('\n').find((row) => row.trim().split(/\s+/)[9] === inode);
      if (line) return parseInt(line.trim().split(/\s+/)[4].split(':')[0], 16);
    }
  } catch {
    // No /proc (not Linux): the download is judged by what it takes from the server alone.
  }
  return null;
}
