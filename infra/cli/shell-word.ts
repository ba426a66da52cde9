/**
 * A path as one word a POSIX shell reads back as it is, for a command a message tells the user to run: as it is when
 * it holds only safe characters, else in single quotes (a quote inside written '\''). A backup folder with a space
 * in its name broke the command `puddle backup` printed (a disaster-recovery retest, 2026-12-07).
 */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
