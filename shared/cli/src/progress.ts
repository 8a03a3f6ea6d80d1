/**
 * Progress for output that is not a terminal (a log file, CI, a pipe), where cli-progress bars print nothing: one
 * line per tenth of the way, with the seconds since `started`, so a long stage is never silent.
 */
export function progressLines(label: string, started: number, write: (line: string) => void = (line) => console.log(line)): (fraction: number, message?: string) => void {
  let printed = -1;
  return (fraction, message) => {
    const tenth = Math.min(10, Math.floor(Math.max(0, fraction) * 10 + 1e-9));
    if (tenth <= printed) return;
    printed = tenth;
    write(`    [${Math.round((Date.now() - started) / 1000)} s] ${label} ${tenth * 10}%${message ? ` ${message}` : ''}`);
  };
}

/** Whether bars can be drawn (stdout is a terminal); otherwise commands print progressLines. */
export const isTty = (): boolean => Boolean(process.stdout.isTTY);
