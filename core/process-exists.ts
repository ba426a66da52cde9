/**
 * Whether a process of that pid runs on this machine. Signal 0 checks without signalling: ESRCH means no such
 * process; EPERM means one exists (another user's).
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
