import { Button } from "design-react-kit";
import { useState, type FormEvent } from "react";
import { api, ApiError, call } from "../api/client";
import { useI18n } from "../i18n";
import { ErrorAlert } from "./ErrorAlert";
import { TextField } from "./Field";

type Trial = Awaited<ReturnType<typeof tryMessage>>;

function tryMessage(tenant: string, text: string, keywords: unknown) {
  return call(
    api.POST("/api/tenants/{tenant}/settings/try-keyword", {
      params: { path: { tenant } },
      body: { text, keywords },
    }),
  );
}

/**
 * "Prova un messaggio": a sentence read by the citizens' grammar on the server, with the
 * keywords as the form has them now (saved or not), the answer told in plain words.
 */
export function SettingsTry({ tenant, keywords }: { tenant: string; keywords: unknown }) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [trial, setTrial] = useState<Trial | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    tryMessage(tenant, text, keywords)
      .then((answer) => setTrial(answer))
      .catch((caught: unknown) => {
        setTrial(null);
        setError(caught);
      })
      .finally(() => setBusy(false));
  };
  const textProblem = error instanceof ApiError ? error.problemWith("text") : undefined;
  return (
    <section aria-labelledby="try-title" className="card-wrapper mb-4">
      <div className="card card-bg no-after">
        <div className="card-body">
          <h2 id="try-title" className="h4">
            {t("settings.try.title")}
          </h2>
          <p className="mb-4">{t("settings.try.intro")}</p>
          <form onSubmit={submit} noValidate className="row g-2 align-items-start">
            <div className="col-12 col-md-8">
              <TextField
                label={t("settings.try.field")}
                help={t("settings.try.help")}
                value={text}
                maxLength={1000}
                onChange={(e) => setText(e.target.value)}
                error={textProblem}
              />
            </div>
            <div className="col-12 col-md-4 pt-md-2">
              <Button color="primary" type="submit" disabled={busy || !text.trim()}>
                {t("settings.try.submit")}
              </Button>
            </div>
          </form>
          <div aria-live="polite" style={{ minHeight: "4.5rem" }}>
            {trial ? (
              <div className="callout note my-0" data-testid="try-result">
                <div className="callout-title">{t("settings.try.result")}</div>
                <p className="mb-1 fw-semibold">{trial.reading}</p>
                {trial.keyword ? (
                  <p className="mb-1 small">
                    {t("settings.try.keyword", { keyword: trial.keyword })}
                  </p>
                ) : null}
                <p className="mb-0 small">
                  {t("settings.try.reply")}: {trial.reply}
                </p>
              </div>
            ) : null}
            {error && !textProblem ? <ErrorAlert error={error} shownFields={["text"]} /> : null}
          </div>
        </div>
      </div>
    </section>
  );
}
