/** What every command returns and how it answers on stdout. */

/** The process's exit code. */
export type Exit = number;

/** Writes `text` and a newline to stdout; exit 0. */
export function print(text: string): Exit {
  process.stdout.write(`${text}\n`);
  return 0;
}
