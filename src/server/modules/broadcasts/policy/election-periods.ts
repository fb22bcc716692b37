import { localDay, nextDay } from "../../../platform/local-days.js";
import { countIn, formatDay } from "./format.js";
import { countCharacters } from "./text-limits.js";
import type { Localized, PolicyNote } from "./types.js";

/**
 * Election periods as a gate (law 28/2000 art. 9; Concorezzo art. 6 and 8, DESIGN.md R10): from
 * the call of an election or referendum, national ones included, to the close of voting (runoffs
 * included), a public administration may communicate only what is impersonal and indispensable
 * for its functions. Inside a period a broadcast is refused unless it is an urgent
 * civil-protection message or the approver declares it impersonal and indispensable with a
 * written justification (kept in the audit log by the service).
 */

/** A period as the comune lists it: local calendar days, both included. */
export interface ElectionPeriod {
  name: string;
  from: string;
  to: string;
}

export interface ElectionDeclaration {
  impersonal: boolean;
  indispensable: boolean;
  justification: string;
}

/** Enough for a reason ("chiusura della strada per lavori urgenti alla rete idrica"). */
export const MIN_JUSTIFICATION_CHARS = 40;

export interface ElectionGate extends PolicyNote {
  outcome: "pass" | "refused";
  period?: ElectionPeriod;
}

const SOURCE = "L. 28/2000 art. 9";

/** The period the local day of `at` falls in, if any. */
export function electionPeriodAt(
  at: number,
  periods: readonly ElectionPeriod[],
  timeZone: string,
): ElectionPeriod | undefined {
  const day = localDay(at, timeZone);
  return periods.find((p) => p.from <= day && day <= p.to);
}

function during(period: ElectionPeriod): Localized {
  const from = formatDay(period.from);
  const to = formatDay(period.to);
  return {
    it: `Dal ${from.it} al ${to.it} è in corso il periodo elettorale «${period.name}»`,
    en: `From ${from.en} to ${to.en} the election period "${period.name}" is under way`,
  };
}

const RULE: Localized = {
  it: "la legge 28/2000 (art. 9) vieta alle amministrazioni pubbliche ogni attività di comunicazione, salvo quella impersonale e indispensabile per le loro funzioni",
  en: "law 28/2000 (art. 9) bars public administrations from any communication except what is impersonal and indispensable for their functions",
};

const IMPERSONAL: Localized = {
  it: "Scrivi in forma impersonale: nessun nome o immagine di sindaco, assessori o consiglieri, nessuna promozione di eventi o dell'amministrazione.",
  en: "Write impersonally: no names or pictures of the mayor, assessors or councillors, no promotion of events or of the administration.",
};

export function electionGate(
  at: number,
  periods: readonly ElectionPeriod[],
  options: { timeZone: string; urgent: boolean; declaration?: ElectionDeclaration },
): ElectionGate {
  const period = electionPeriodAt(at, periods, options.timeZone);
  if (!period) {
    return {
      id: "election.outside",
      rule: "election.outside",
      source: SOURCE,
      outcome: "pass",
      why: {
        it: "Nessun periodo elettorale in corso alla data di invio.",
        en: "No election period on the send date.",
      },
      todo: { it: "Nessuna azione.", en: "Nothing." },
    };
  }
  const context = during(period);
  const note = (
    rule: string,
    outcome: ElectionGate["outcome"],
    why: Localized,
    todo: Localized,
  ) => ({
    id: rule,
    rule,
    source: SOURCE,
    outcome,
    period,
    why: { it: `${context.it}: ${why.it}`, en: `${context.en}: ${why.en}` },
    todo,
  });
  if (options.urgent) {
    return note(
      "election.urgent",
      "pass",
      {
        it: "la comunicazione passa perché è urgente (protezione civile): un'allerta è comunicazione impersonale e indispensabile.",
        en: "the broadcast passes because it is urgent (civil protection): an alert is impersonal and indispensable communication.",
      },
      IMPERSONAL,
    );
  }
  const after = formatDay(nextDay(period.to));
  const { declaration } = options;
  if (!declaration) {
    return note(
      "election.period",
      "refused",
      { it: `${RULE.it}.`, en: `${RULE.en}.` },
      {
        it: `Se la comunicazione è impersonale e indispensabile (non può attendere la fine del periodo), dichiaralo all'approvazione e scrivi la motivazione, che resta nel registro delle attività. Altrimenti programma l'invio dal ${after.it}. ${IMPERSONAL.it}`,
        en: `If the broadcast is impersonal and indispensable (it cannot wait for the end of the period), declare so at approval and write the justification, which is kept in the audit log. Otherwise schedule it from ${after.en}. ${IMPERSONAL.en}`,
      },
    );
  }
  if (!declaration.impersonal || !declaration.indispensable) {
    const missing = [
      declaration.impersonal ? undefined : { it: "impersonale", en: "impersonal" },
      declaration.indispensable ? undefined : { it: "indispensabile", en: "indispensable" },
    ].filter((m) => m !== undefined);
    return note(
      "election.declaration",
      "refused",
      {
        it: `${RULE.it}, e la dichiarazione non afferma che la comunicazione è ${missing.map((m) => m.it).join(" e ")}.`,
        en: `${RULE.en}, and the declaration does not state that the broadcast is ${missing.map((m) => m.en).join(" and ")}.`,
      },
      {
        it: `Dichiara che la comunicazione è impersonale e indispensabile, oppure programma l'invio dal ${after.it}.`,
        en: `Declare the broadcast impersonal and indispensable, or schedule it from ${after.en}.`,
      },
    );
  }
  const length = countCharacters(declaration.justification.trim());
  if (length < MIN_JUSTIFICATION_CHARS) {
    const has = countIn(length);
    const needs = countIn(MIN_JUSTIFICATION_CHARS);
    return note(
      "election.justification",
      "refused",
      {
        it: `la motivazione della dichiarazione è troppo breve (${has.it} caratteri; ne servono almeno ${needs.it}).`,
        en: `the declaration's justification is too short (${has.en} characters; at least ${needs.en} are needed).`,
      },
      {
        it: "Spiega perché la comunicazione è indispensabile e non può attendere la fine del periodo elettorale.",
        en: "Explain why the broadcast is indispensable and cannot wait for the end of the election period.",
      },
    );
  }
  return note(
    "election.declared",
    "pass",
    {
      it: "la comunicazione passa con la dichiarazione che è impersonale e indispensabile; la motivazione resta nel registro delle attività.",
      en: "the broadcast passes with the declaration that it is impersonal and indispensable; the justification is kept in the audit log.",
    },
    IMPERSONAL,
  );
}
