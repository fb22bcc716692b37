import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Accordion, AccordionItem, Alert, Badge, Button } from "design-react-kit";
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { api, ApiError, call } from "../api/client";
import type { paths } from "../api/schema";
import { ErrorAlert } from "../components/ErrorAlert";
import { CheckField, TextAreaField, TextField } from "../components/Field";
import { Loading } from "../components/Loading";
import { Notice } from "../components/Notice";
import { useAction } from "../components/useAction";
import {
  changedSections,
  COMMANDS,
  DAYS,
  fromDraft,
  OPTIONAL_TEXTS,
  PRICES,
  Problems,
  REQUIRED_TEXTS,
  SECTIONS,
  SHORT_TEXTS,
  toDraft,
  WORD_RULES,
  type Draft,
  type Section,
  type SectionValues,
  type TextKey,
} from "../components/SettingsDraft";
import { SettingsHistory } from "../components/SettingsHistory";
import { SettingsTemplates } from "../components/SettingsTemplates";
import { SettingsTry } from "../components/SettingsTry";
import { useI18n, type Translate } from "../i18n";
import { can } from "../lib/session";
import { toggled } from "../lib/toggled";
import type { SectionProps } from "../sections";
import { TitledSection } from "../components/TitledSection";

/**
 * The settings page: the comune's settings as saved over the tenant file, a form per section, the
 * try-a-message box, and the versions with restore.
 *
 * Over 400 lines for a reason: one short body function per section (eight of them), kept beside
 * the form that switches between them.
 */

type Answer =
  paths["/api/tenants/{tenant}/settings"]["get"]["responses"]["200"]["content"]["application/json"];

export function SettingsPage({ tenant, comune }: SectionProps) {
  const { t } = useI18n();
  const settings = useQuery({
    queryKey: ["settings", tenant],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/settings", { params: { path: { tenant } } })),
  });
  const mayWrite = can(comune, "settings.write");
  // Here, not in the form: a save starts the form afresh, and the notice must outlive it.
  const [notice, setNotice] = useState("");
  return (
    <>
      <h1 className="h2">{t("settings.title")}</h1>
      <p className="lead">{t("settings.intro")}</p>
      {!mayWrite ? (
        <Alert color="info" role="status">
          {t("settings.readOnly")}
        </Alert>
      ) : null}
      {settings.isPending ? <Loading /> : null}
      {settings.error ? <ErrorAlert error={settings.error} /> : null}
      {settings.data ? (
        // A new key per version: the form starts again from what is in force.
        <SettingsForm
          key={settings.data.editable.version}
          tenant={tenant}
          answer={settings.data}
          mayWrite={mayWrite}
          notice={notice}
          setNotice={setNotice}
        />
      ) : null}
    </>
  );
}

function SettingsForm({
  tenant,
  answer,
  mayWrite,
  notice,
  setNotice,
}: {
  tenant: string;
  answer: Answer;
  mayWrite: boolean;
  notice: string;
  setNotice: (notice: string) => void;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const loaded = toDraft(answer.editable.sections as unknown as SectionValues);
  const [draft, setDraft] = useState<Draft>(loaded);
  const [note, setNote] = useState("");
  const [open, setOpen] = useState<Set<Section>>(new Set());
  // A refused save or restore opens the sections the refusal names.
  const { busy, error, run, problem } = useAction((caught) => {
    if (caught instanceof ApiError) {
      const withProblems = new Problems(caught.details).sections();
      setOpen((o) => new Set([...o, ...withProblems]));
    }
  });
  const formRef = useRef<HTMLFormElement>(null);
  // A refused save: the first field at fault gets the focus (its section was opened for it).
  useEffect(() => {
    if (error instanceof ApiError && error.details.length) {
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    }
  }, [error]);
  const edit = (change: (d: Draft) => Draft) => {
    setDraft((d) => change(structuredClone(d)));
    setNotice("");
  };
  const changed = changedSections(loaded, draft);
  const problems = new Problems(error instanceof ApiError ? error.details : []);
  const toggle = (s: Section) => setOpen((o) => toggled(o, s, !o.has(s)));

  /** After a save or a restore: the answer in the cache, the form anew from it. */
  const settle = (answered: { version: number; settings: Answer }, message: string) => {
    setNotice(message);
    queryClient.setQueryData(["settings", tenant], answered.settings);
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    const values = fromDraft(draft);
    const sections = Object.fromEntries(changed.map((s) => [s, values[s]]));
    void run(async () => {
      const answered = await call(
        api.PUT("/api/tenants/{tenant}/settings", {
          params: { path: { tenant } },
          body: { note, baseVersion: answer.editable.version, sections },
        }),
      );
      settle(answered, t("settings.save.saved", { version: answered.version }));
    });
  };

  const restore = (version: number): Promise<boolean> =>
    run(async () => {
      const answered = await call(
        api.POST("/api/tenants/{tenant}/settings/versions/{version}/restore", {
          params: { path: { tenant, version } },
          body: {},
        }),
      );
      settle(answered, t("settings.history.restored", { version: answered.version }));
    });

  const sourceOf = (s: Section) => answer.editable.sources[s] ?? "file";
  const ctx: Ctx = { t, draft, edit, problems, disabled: !mayWrite || busy };
  const bodies: Record<Section, ReactNode> = {
    texts: textsBody(ctx),
    keywords: keywordsBody(ctx, answer.keywordForm),
    serviceHours: serviceHoursBody(ctx),
    closedDays: closedDaysBody(ctx),
    electionPeriods: electionPeriodsBody(ctx),
    topics: topicsBody(ctx),
    contentWords: contentWordsBody(ctx),
    pricing: pricingBody(ctx),
  };
  // After every field has claimed its problems: what is left, by section and overall.
  const left = Object.fromEntries(SECTIONS.map((s) => [s, problems.leftIn(s)])) as Record<
    Section,
    { field: string; problem: string }[]
  >;
  const shown =
    error instanceof ApiError
      ? error.details
          .filter((d) => d.field.startsWith("body.sections.") || d.field === "body.note")
          .map((d) => d.field)
      : [];

  return (
    <>
      <SettingsTry tenant={tenant} keywords={fromDraft(draft).keywords} />
      <form ref={formRef} onSubmit={save} noValidate aria-labelledby="settings-form-title">
        <h2 id="settings-form-title" className="visually-hidden">
          {t("settings.title")}
        </h2>
        <Accordion className="mb-4">
          {SECTIONS.map((s) => (
            <AccordionItem key={s}>
              <h3 className="accordion-header" id={`settings-${s}-header`}>
                <button
                  type="button"
                  className={`accordion-button${open.has(s) ? "" : " collapsed"}`}
                  aria-expanded={open.has(s)}
                  aria-controls={`settings-${s}`}
                  onClick={() => toggle(s)}
                >
                  <span className="me-3">{t(`settings.sections.${s}`)}</span>
                  <Badge
                    color={sourceOf(s) === "saved" ? "primary" : "secondary"}
                    className="fw-normal"
                  >
                    {t(`settings.source.${sourceOf(s)}`)}
                  </Badge>
                  {problems.sections().includes(s) ? (
                    <span className="visually-hidden">: {t("settings.otherProblems")}</span>
                  ) : null}
                </button>
              </h3>
              <div
                id={`settings-${s}`}
                role="region"
                aria-labelledby={`settings-${s}-header`}
                className={`accordion-collapse collapse${open.has(s) ? " show" : ""}`}
              >
                <div className="accordion-body">
                  <p className="text-secondary mb-4">{t(`settings.sectionHelp.${s}`)}</p>
                  <fieldset disabled={!mayWrite}>
                    <legend className="visually-hidden">{t(`settings.sections.${s}`)}</legend>
                    {bodies[s]}
                  </fieldset>
                  {left[s].length ? (
                    <div className="alert alert-danger" role="alert">
                      <ul className="mb-0">
                        {left[s].map((d) => (
                          <li key={d.field}>{d.problem}</li>
                        ))}
                      </ul>
                    </div>
                  ) : null}
                </div>
              </div>
            </AccordionItem>
          ))}
        </Accordion>
        {mayWrite ? (
          <TitledSection id="save-title" title={t("settings.save.title")} className="mb-5">
            <p aria-live="polite" data-testid="pending">
              {changed.length
                ? t("settings.save.pending", {
                    sections: changed.map((s) => t(`settings.sections.${s}`)).join(", "),
                  })
                : t("settings.save.nothing")}
            </p>
            <TextField
              label={t("settings.save.note")}
              help={t("settings.save.noteHelp")}
              value={note}
              maxLength={300}
              onChange={(e) => setNote(e.target.value)}
              error={problem("note")}
            />
            <Button color="primary" type="submit" disabled={busy || changed.length === 0}>
              {t("settings.save.submit")}
            </Button>
          </TitledSection>
        ) : null}
      </form>
      <div aria-live="polite">
        <Notice text={notice} />
        <ErrorAlert error={error} shownFields={shown} />
        {error instanceof ApiError && error.code === "SETTINGS_CHANGED" ? (
          <Button
            color="primary"
            outline
            className="mb-4"
            onClick={() => void queryClient.invalidateQueries({ queryKey: ["settings", tenant] })}
          >
            {t("settings.save.changedMeanwhile")}
          </Button>
        ) : null}
      </div>
      <SettingsTemplates tenant={tenant} maySync={mayWrite} />
      <SettingsHistory
        versions={answer.editable.versions}
        inForce={answer.editable.version}
        mayRestore={mayWrite}
        busy={busy}
        onRestore={restore}
      />
    </>
  );
}

interface Ctx {
  t: Translate;
  draft: Draft;
  edit: (change: (d: Draft) => Draft) => void;
  problems: Problems;
  disabled: boolean;
}

/** "Riga 2: …" for a problem with the second line of a one-per-line field. */
const line = (t: Translate) => (n: number, problem: string) => t("settings.line", { n, problem });

function textsBody({ t, draft, edit, problems }: Ctx) {
  const field = (lang: "it" | "en", key: TextKey, optional: boolean) => {
    const props = {
      label: `${t(`settings.texts.keys.${key}`)} – ${lang === "it" ? t("settings.texts.italian") : t("settings.texts.english")}`,
      value: draft.texts[lang][key],
      error: problems.at(`texts.${lang}.${key}`),
      help:
        lang === "en"
          ? t("settings.texts.englishEmpty")
          : optional
            ? t("settings.texts.optional")
            : undefined,
      onChange: (e: { target: { value: string } }) =>
        edit((d) => {
          d.texts[lang][key] = e.target.value;
          return d;
        }),
    };
    return SHORT_TEXTS.has(key) ? (
      <TextField {...props} maxLength={40} />
    ) : (
      <TextAreaField {...props} rows={key === "subscribed" ? 8 : 4} />
    );
  };
  return (
    <>
      {[...REQUIRED_TEXTS, ...OPTIONAL_TEXTS].map((key) => {
        const optional = (OPTIONAL_TEXTS as readonly string[]).includes(key);
        return (
          <div key={key} className="row border-bottom pt-3 mb-3">
            <div className="col-12 col-lg-6">{field("it", key, optional)}</div>
            <div className="col-12 col-lg-6">{field("en", key, optional)}</div>
          </div>
        );
      })}
    </>
  );
}

function keywordsBody({ t, draft, edit, problems }: Ctx, form: string) {
  const list = (key: "subscribe" | "unsubscribe" | "extraOptOut", label: string, help: string) => (
    <TextAreaField
      label={label}
      help={help}
      rows={2}
      value={draft.keywords[key]}
      error={problems.at(`keywords.${key}`, line(t))}
      onChange={(e) =>
        edit((d) => {
          d.keywords[key] = e.target.value;
          return d;
        })
      }
    />
  );
  return (
    <>
      <p className="small mb-4">
        {t("settings.keywords.form", {
          form: t(
            form === "phrase"
              ? "settings.keywords.forms.phrase"
              : "settings.keywords.forms.name-and-keyword",
          ),
        })}
      </p>
      <div className="row">
        <div className="col-12 col-md-6">
          {list("subscribe", t("settings.keywords.subscribe"), t("settings.keywords.onePerLine"))}
        </div>
        <div className="col-12 col-md-6">
          {list(
            "unsubscribe",
            t("settings.keywords.unsubscribe"),
            t("settings.keywords.onePerLine"),
          )}
        </div>
        <div className="col-12 col-md-6">
          {list(
            "extraOptOut",
            t("settings.keywords.extraOptOut"),
            `${t("settings.keywords.onePerLine")} ${t("settings.keywords.extraOptOutHelp")}`,
          )}
        </div>
        {COMMANDS.map((c) => (
          <div key={c} className="col-12 col-md-6">
            <TextAreaField
              label={t(`settings.keywords.commands.${c}`)}
              help={t("settings.keywords.onePerLine")}
              rows={2}
              value={draft.keywords.commands[c]}
              error={problems.at(`keywords.commands.${c}`, line(t))}
              onChange={(e) =>
                edit((d) => {
                  d.keywords.commands[c] = e.target.value;
                  return d;
                })
              }
            />
          </div>
        ))}
      </div>
      <CheckField
        label={t("settings.keywords.commonSynonyms")}
        checked={draft.keywords.commonSynonyms}
        error={problems.at("keywords.commonSynonyms")}
        onChange={(e) =>
          edit((d) => {
            d.keywords.commonSynonyms = e.target.checked;
            return d;
          })
        }
      />
    </>
  );
}

function serviceHoursBody({ t, draft, edit, problems }: Ctx) {
  const h = draft.serviceHours;
  const set = (change: (hours: Draft["serviceHours"]) => void) =>
    edit((d) => {
      change(d.serviceHours);
      return d;
    });
  const range = (n: number, problem: string) => t("settings.range", { n, problem });
  return (
    <>
      <div className="mb-4">
        <CheckField
          label={t("settings.serviceHours.enabled")}
          checked={h.on}
          onChange={(e) => set((x) => void (x.on = e.target.checked))}
        />
      </div>
      {h.on ? (
        <>
          <p id="settings-day-help" className="small">
            {t("settings.serviceHours.dayHelp")}
          </p>
          <div className="row">
            {DAYS.map((day) => (
              <div key={day} className="col-12 col-md-6 col-xl-4">
                <TextField
                  label={t(`settings.serviceHours.days.${day}`)}
                  value={h.weekly[day]}
                  error={problems.at(`serviceHours.weekly.${day}`, range)}
                  onChange={(e) => set((x) => void (x.weekly[day] = e.target.value))}
                />
              </div>
            ))}
          </div>
          {problems.at("serviceHours.weekly") ? (
            <p className="text-danger fw-semibold" role="alert">
              {problems.at("serviceHours.weekly")}
            </p>
          ) : null}
          <TextField
            label={t("settings.serviceHours.timeZone")}
            help={t("settings.serviceHours.timeZoneHelp")}
            value={h.timeZone}
            error={problems.at("serviceHours.timeZone")}
            onChange={(e) => set((x) => void (x.timeZone = e.target.value))}
          />
          <div className="row">
            <div className="col-12 col-lg-6">
              <TextField
                label={t("settings.serviceHours.descriptionIt")}
                help={t("settings.serviceHours.descriptionHelp")}
                value={h.descriptionIt}
                error={problems.at("serviceHours.description.it")}
                onChange={(e) => set((x) => void (x.descriptionIt = e.target.value))}
              />
            </div>
            <div className="col-12 col-lg-6">
              <TextField
                label={t("settings.serviceHours.descriptionEn")}
                value={h.descriptionEn}
                error={problems.at("serviceHours.description.en")}
                onChange={(e) => set((x) => void (x.descriptionEn = e.target.value))}
              />
            </div>
          </div>
        </>
      ) : null}
    </>
  );
}

function closedDaysBody({ t, draft, edit, problems }: Ctx) {
  return (
    <div className="row">
      <div className="col-12 col-md-6">
        <TextField
          label={t("settings.closedDays.patronDay")}
          help={t("settings.closedDays.patronDayHelp")}
          value={draft.closedDays.patronDay}
          maxLength={5}
          inputMode="numeric"
          error={problems.at("closedDays.patronDay")}
          onChange={(e) =>
            edit((d) => {
              d.closedDays.patronDay = e.target.value;
              return d;
            })
          }
        />
      </div>
    </div>
  );
}

/** The sections made of numbered rows, each row an object of text fields. */
type RowSection = "electionPeriods" | "topics";
type RowOf<K extends RowSection> = Draft[K][number];

/**
 * A section of numbered rows (an election period, a topic): each in its own box with the fields
 * the caller gives and a button that removes it, then a button that adds a blank one.
 */
function Rows<K extends RowSection>({
  ctx: { t, draft, edit, disabled },
  section,
  blank,
  children,
}: {
  ctx: Ctx;
  section: K;
  blank: RowOf<K>;
  children: (
    row: RowOf<K>,
    i: number,
    set: (field: keyof RowOf<K>, value: string) => void,
  ) => ReactNode;
}) {
  const texts: RowSection = section;
  const rowsOf = (d: Draft) => d[section] as RowOf<K>[];
  const change = (apply: (rows: RowOf<K>[]) => void) =>
    edit((d) => {
      apply(rowsOf(d));
      return d;
    });
  const set = (i: number) => (field: keyof RowOf<K>, value: string) =>
    change((rows) => {
      const row = rows[i];
      if (row) row[field] = value as RowOf<K>[keyof RowOf<K>];
    });
  const rows = rowsOf(draft);
  return (
    <>
      {rows.length === 0 ? <p>{t(`settings.${texts}.none`)}</p> : null}
      {rows.map((row, i) => (
        <fieldset key={i} className="border rounded p-3 mb-3">
          <legend className="h6 float-none w-auto px-2">
            {t(`settings.${texts}.legend`, { n: i + 1 })}
          </legend>
          <div className="row">{children(row, i, set(i))}</div>
          <Button
            color="danger"
            outline
            size="sm"
            disabled={disabled}
            onClick={() => change((r) => void r.splice(i, 1))}
          >
            {t(`settings.${texts}.remove`, { n: i + 1 })}
          </Button>
        </fieldset>
      ))}
      <Button
        color="primary"
        outline
        disabled={disabled}
        onClick={() => change((r) => void r.push({ ...blank }))}
      >
        {t(`settings.${texts}.add`)}
      </Button>
    </>
  );
}

function electionPeriodsBody(ctx: Ctx) {
  const { t, problems } = ctx;
  return (
    <Rows ctx={ctx} section="electionPeriods" blank={{ name: "", from: "", to: "" }}>
      {(p, i, set) =>
        (["name", "from", "to"] as const).map((f) => (
          <div key={f} className={f === "name" ? "col-12" : "col-12 col-md-6"}>
            <TextField
              label={t(`settings.electionPeriods.${f}`)}
              type={f === "name" ? "text" : "date"}
              value={p[f]}
              error={problems.at(`electionPeriods.${i}.${f}`)}
              onChange={(e) => set(f, e.target.value)}
            />
          </div>
        ))
      }
    </Rows>
  );
}

function topicsBody(ctx: Ctx) {
  const { t, problems } = ctx;
  return (
    <>
      <p className="small">{t("settings.topics.idHelp")}</p>
      <Rows ctx={ctx} section="topics" blank={{ id: "", it: "", en: "" }}>
        {(topic, i, set) => (
          <>
            <div className="col-12 col-md-4">
              <TextField
                label={t("settings.topics.id")}
                value={topic.id}
                error={problems.at(`topics.${i}.id`)}
                onChange={(e) => set("id", e.target.value)}
              />
            </div>
            {(["it", "en"] as const).map((l) => (
              <div key={l} className="col-12 col-md-4">
                <TextField
                  label={t(l === "it" ? "settings.topics.labelIt" : "settings.topics.labelEn")}
                  value={topic[l]}
                  error={problems.at(`topics.${i}.label.${l}`)}
                  onChange={(e) => set(l, e.target.value)}
                />
              </div>
            ))}
          </>
        )}
      </Rows>
    </>
  );
}

function contentWordsBody({ t, draft, edit, problems }: Ctx) {
  const c = draft.contentWords;
  return (
    <>
      <div className="row">
        {(["administrators", "allowedLinkDomains"] as const).map((f) => (
          <div key={f} className="col-12 col-lg-6">
            <TextAreaField
              label={t(`settings.contentWords.${f}`)}
              help={t(`settings.contentWords.${f}Help`)}
              rows={4}
              value={c[f]}
              error={problems.at(`contentWords.${f}`, line(t))}
              onChange={(e) =>
                edit((d) => {
                  d.contentWords[f] = e.target.value;
                  return d;
                })
              }
            />
          </div>
        ))}
      </div>
      <h4 className="h6 mt-2">{t("settings.contentWords.lists")}</h4>
      <p className="small">{t("settings.contentWords.listsHelp")}</p>
      {WORD_RULES.map((rule) => (
        <fieldset key={rule} className="border rounded p-3 mb-3">
          <legend className="h6 float-none w-auto px-2">
            {t(`settings.contentWords.rules.${rule}`)}
          </legend>
          <div className="row">
            {(["add", "remove"] as const).map((f) => (
              <div key={f} className="col-12 col-md-6">
                <TextAreaField
                  label={`${t(`settings.contentWords.${f}`)} – ${t(`settings.contentWords.rules.${rule}`)}`}
                  help={t("settings.keywords.onePerLine")}
                  rows={2}
                  value={c.wordLists[rule][f]}
                  error={problems.at(`contentWords.wordLists.${rule}.${f}`, line(t))}
                  onChange={(e) =>
                    edit((d) => {
                      d.contentWords.wordLists[rule][f] = e.target.value;
                      return d;
                    })
                  }
                />
              </div>
            ))}
          </div>
        </fieldset>
      ))}
    </>
  );
}

function pricingBody({ t, draft, edit, problems }: Ctx) {
  return (
    <div className="row">
      <div className="col-12 col-md-6 col-xl-4">
        <TextField
          label={t("settings.pricing.currency")}
          help={t("settings.pricing.currencyHelp")}
          value={draft.pricing.currency}
          maxLength={3}
          error={problems.at("pricing.currency")}
          onChange={(e) =>
            edit((d) => {
              d.pricing.currency = e.target.value;
              return d;
            })
          }
        />
      </div>
      <div className="col-12 col-md-6 col-xl-4">
        <TextField
          label={t("settings.pricing.validFrom")}
          help={t("settings.pricing.validFromHelp")}
          type="date"
          value={draft.pricing.validFrom}
          error={problems.at("pricing.validFrom")}
          onChange={(e) =>
            edit((d) => {
              d.pricing.validFrom = e.target.value;
              return d;
            })
          }
        />
      </div>
      {PRICES.map((p) => (
        <div key={p} className="col-12 col-md-6 col-xl-4">
          <TextField
            label={t(`settings.pricing.${p}`)}
            help={t("settings.pricing.priceHelp")}
            inputMode="decimal"
            value={draft.pricing[p]}
            error={problems.at(`pricing.${p}`)}
            onChange={(e) =>
              edit((d) => {
                d.pricing[p] = e.target.value;
                return d;
              })
            }
          />
        </div>
      ))}
    </div>
  );
}
