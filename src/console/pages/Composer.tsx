import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button } from "design-react-kit";
import { useEffect, useState, type FormEvent } from "react";
import { useLocation, useNavigate } from "react-router";
import { api, call } from "../api/client";
import type { PolicyCheck } from "../api/types";
import { BroadcastMediaField, type MediaInfo } from "../components/BroadcastMedia";
import { CheckPanel } from "../components/CheckPanel";
import { ErrorAlert } from "../components/ErrorAlert";
import { CheckField, FieldError, RadioChoice, TextAreaField, TextField } from "../components/Field";
import { Loading } from "../components/Loading";
import { Notice } from "../components/Notice";
import { useAction } from "../components/useAction";
import { WhatsAppPreview } from "../components/WhatsAppPreview";
import { useI18n } from "../i18n";
import { useTenants } from "../lib/session";

/** WhatsApp's limit for a template's parameter, the text's use outside the 24-hour window. */
export const TEXT_LIMIT = 1024;
/** The server's limit for the title (staff only read it). */
export const TITLE_LIMIT = 120;

/**
 * What WhatsApp refuses in a template's parameter (error 132018): a line break, a tab, more than
 * four spaces in a row. The server's check blocks it too; here it is said while typing.
 */
export const PARAMETER_REFUSES = /[\n\t]| {5}/;

/** The text as one paragraph: line breaks and tabs become spaces, long runs of spaces one. */
export function oneParagraph(text: string): string {
  return text
    .replace(/\s*[\r\n\t]+\s*/g, " ")
    .replace(/ {5,}/g, " ")
    .trim();
}

interface Draft {
  title: string;
  text: string;
  topics: "all" | string[];
  urgent: boolean;
  public: boolean;
  /** A local "YYYY-MM-DDTHH:mm", or "" for as soon as approved. */
  sendAt: string;
  /** The uploaded file in the message's header, or null. */
  mediaId: number | null;
}

const EMPTY: Draft = {
  title: "",
  text: "",
  topics: "all",
  urgent: false,
  public: false,
  sendAt: "",
  mediaId: null,
};

function localInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ComposerPage({ tenant, id }: { tenant: string; id?: number }) {
  const existing = useQuery({
    queryKey: ["broadcast", tenant, id],
    enabled: id !== undefined,
    queryFn: () =>
      call(
        api.GET("/api/tenants/{tenant}/broadcasts/{id}", {
          params: { path: { tenant, id: id ?? 0 } },
        }),
      ),
  });
  if (id !== undefined && existing.isPending) return <Loading />;
  if (existing.error) return <ErrorAlert error={existing.error} />;
  const b = existing.data?.broadcast;
  const initial: Draft = b
    ? {
        title: b.title,
        text: b.text,
        topics: b.topics,
        urgent: b.urgent,
        public: b.public,
        sendAt: localInput(b.sendAt),
        mediaId: b.mediaId,
      }
    : EMPTY;
  return (
    <Composer
      tenant={tenant}
      id={id}
      initial={initial}
      initialMedia={existing.data?.media ?? null}
      initialCheck={existing.data?.check ?? null}
    />
  );
}

function Composer({
  tenant,
  id: initialId,
  initial,
  initialMedia,
  initialCheck,
}: {
  tenant: string;
  id: number | undefined;
  initial: Draft;
  initialMedia: MediaInfo | null;
  initialCheck: PolicyCheck | null;
}) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const tenants = useTenants();
  const info = tenants.data?.tenants.find((x) => x.slug === tenant);
  const [id, setId] = useState(initialId);
  const [draft, setDraft] = useState<Draft>(initial);
  const [savedDraft, setSavedDraft] = useState<Draft>(initial);
  const [check, setCheck] = useState<PolicyCheck | null>(initialCheck);
  const [media, setMedia] = useState<MediaInfo | null>(initialMedia);
  const { busy, error, run, problem: fieldError } = useAction();
  const location = useLocation();
  // "Saved" survives the move from …/new to …/:id/edit after the first save.
  const [notice, setNotice] = useState(
    (location.state as { saved?: boolean } | null)?.saved ? t("composer.saved") : "",
  );
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setNotice("");
  };
  const dirty = JSON.stringify(draft) !== JSON.stringify(savedDraft);

  useEffect(() => {
    if (initialId !== id && id !== undefined && notice) {
      void navigate(`/${tenant}/broadcasts/${id}/edit`, { replace: true, state: { saved: true } });
    }
  }, [id, initialId, navigate, tenant, notice]);

  const save = async (): Promise<number> => {
    const body = {
      title: draft.title,
      text: draft.text,
      topics: draft.topics,
      urgent: draft.urgent,
      public: draft.public,
      sendAt: draft.sendAt ? new Date(draft.sendAt).toISOString() : null,
      mediaId: draft.mediaId,
    };
    const answer =
      id === undefined
        ? await call(
            api.POST("/api/tenants/{tenant}/broadcasts", { params: { path: { tenant } }, body }),
          )
        : await call(
            api.PATCH("/api/tenants/{tenant}/broadcasts/{id}", {
              params: { path: { tenant, id } },
              body,
            }),
          );
    setId(answer.broadcast.id);
    setCheck(answer.check);
    setMedia(answer.media);
    setSavedDraft(draft);
    await queryClient.invalidateQueries({ queryKey: ["broadcasts", tenant] });
    queryClient.setQueryData(["broadcast", tenant, answer.broadcast.id], answer);
    return answer.broadcast.id;
  };

  const onSave = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await save();
      setNotice(t("composer.saved"));
    });
  };

  const onSubmit = () =>
    void run(async () => {
      const saved = await save();
      await call(
        api.POST("/api/tenants/{tenant}/broadcasts/{id}/submit", {
          params: { path: { tenant, id: saved } },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ["broadcast", tenant, saved] });
      void navigate(`/${tenant}/broadcasts/${saved}?done=submitted`);
    });

  const length = [...draft.text].length;
  const over = length - TEXT_LIMIT;
  const titleLength = [...draft.title].length;
  const refused = PARAMETER_REFUSES.test(draft.text);
  const topics = info?.topics ?? [];
  return (
    <>
      <h1 className="h2 mb-4">
        {id === undefined ? t("composer.titleNew") : t("composer.titleEdit")}
      </h1>
      <div className="row g-4">
        <div className="col-12 col-lg-7">
          <form onSubmit={onSave} noValidate>
            <TextField
              label={t("composer.fieldTitle")}
              value={draft.title}
              maxLength={TITLE_LIMIT}
              onChange={(e) => set("title", e.target.value)}
              error={fieldError("title")}
              after={t("composer.counter", { count: titleLength, max: TITLE_LIMIT })}
            />
            <TextAreaField
              label={t("composer.fieldText")}
              rows={7}
              value={draft.text}
              onChange={(e) => set("text", e.target.value)}
              error={fieldError("text")}
              aria-invalid={refused || fieldError("text") ? true : undefined}
              after={
                <>
                  <span
                    className={over > 0 ? "text-danger fw-semibold" : undefined}
                    aria-live="polite"
                    data-testid="text-counter"
                  >
                    {over > 0
                      ? t("composer.counterOver", { count: length, over, max: TEXT_LIMIT })
                      : t("composer.counter", { count: length, max: TEXT_LIMIT })}
                  </span>
                  <span className="d-block">{t("composer.counterHelp")}</span>
                  {refused ? (
                    <span className="d-block mt-2 text-danger fw-semibold" role="alert">
                      {t("composer.lineBreaks")}{" "}
                      <button
                        type="button"
                        className="btn btn-link p-0 align-baseline"
                        onClick={() => set("text", oneParagraph(draft.text))}
                      >
                        {t("composer.joinLines")}
                      </button>
                    </span>
                  ) : null}
                </>
              }
            />
            <BroadcastMediaField
              tenant={tenant}
              media={draft.mediaId === null ? null : media}
              saved={draft.mediaId !== null && draft.mediaId === savedDraft.mediaId}
              onChange={(next) => {
                setMedia(next);
                set("mediaId", next?.id ?? null);
              }}
              error={fieldError("mediaId")}
            />
            <fieldset className="mb-4">
              <legend className="h6">{t("composer.topics")}</legend>
              <RadioChoice
                value={draft.topics === "all" ? "all" : "some"}
                options={{ all: t("composer.topicsAll"), some: t("composer.topicsSome") }}
                onChange={(mode) => set("topics", mode === "all" ? "all" : [])}
              />
              {draft.topics !== "all" ? (
                <div className="ms-4">
                  {topics.map((topic) => {
                    const chosen = draft.topics !== "all" && draft.topics.includes(topic.id);
                    return (
                      <CheckField
                        key={topic.id}
                        label={topic.label}
                        checked={chosen}
                        onChange={(e) =>
                          set(
                            "topics",
                            e.target.checked
                              ? [...(draft.topics === "all" ? [] : draft.topics), topic.id]
                              : (draft.topics === "all" ? [] : draft.topics).filter(
                                  (x) => x !== topic.id,
                                ),
                          )
                        }
                      />
                    );
                  })}
                </div>
              ) : null}
              <FieldError>{fieldError("topics")}</FieldError>
            </fieldset>
            <fieldset className="mb-4">
              <legend className="visually-hidden">{t("broadcasts.columns.flags")}</legend>
              <CheckField
                label={t("composer.urgent")}
                checked={draft.urgent}
                onChange={(e) => set("urgent", e.target.checked)}
              />
              <CheckField
                label={t("composer.public")}
                checked={draft.public}
                onChange={(e) => set("public", e.target.checked)}
              />
            </fieldset>
            <fieldset className="mb-4">
              <legend className="h6">{t("composer.schedule")}</legend>
              <RadioChoice
                value={draft.sendAt === "" ? "now" : "at"}
                options={{ now: t("composer.scheduleNow"), at: t("composer.scheduleAt") }}
                onChange={(mode) =>
                  set(
                    "sendAt",
                    mode === "now"
                      ? ""
                      : localInput(new Date(Date.now() + 3_600_000).toISOString()),
                  )
                }
              />
              {draft.sendAt !== "" ? (
                <TextField
                  label={t("composer.sendAt")}
                  type="datetime-local"
                  value={draft.sendAt}
                  onChange={(e) => set("sendAt", e.target.value)}
                  error={fieldError("sendAt")}
                />
              ) : null}
            </fieldset>
            <ErrorAlert
              error={error}
              shownFields={["title", "text", "topics", "sendAt", "mediaId"]}
            />
            <Notice text={notice} />
            {dirty && check ? (
              <p className="small text-secondary">{t("composer.unsavedChanges")}</p>
            ) : null}
            <div className="d-flex flex-wrap gap-3">
              <Button color="primary" outline type="submit" disabled={busy}>
                {t("composer.save")}
              </Button>
              <Button color="primary" type="button" disabled={busy} onClick={onSubmit}>
                {t("composer.submit")}
              </Button>
            </div>
          </form>
        </div>
        <div className="col-12 col-lg-5">
          <WhatsAppPreview
            tenant={tenant}
            text={draft.text}
            shape={{
              media: draft.mediaId === null ? null : media,
              urgent: draft.urgent,
              topics: draft.topics,
            }}
          />
          <div className="mt-4">
            {check ? (
              <CheckPanel check={check} />
            ) : (
              <p className="small text-secondary">{t("composer.checkStale")}</p>
            )}
          </div>
        </div>
      </div>
    </>
  );
}
