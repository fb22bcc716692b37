/** The goals of issue #4 item 9 and how each was met, for the summary table at the end. */
export interface GoalRow {
  /** Short id: a, b, c, … (issue #4 item 9) and the baseline's D/W/E goal it stands for. */
  id: string;
  what: string;
  /** The figure, as printed. */
  measured: string;
  goal: string;
  /** undefined: not measured in this run. */
  pass: boolean | undefined;
}

export function verdict(pass: boolean | undefined): string {
  if (pass === undefined) return "not run";
  return pass ? "**pass**" : "**FAIL**";
}
