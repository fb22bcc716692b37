import { useQueryClient } from "@tanstack/react-query";
import { Alert, Button } from "design-react-kit";
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { api, call, setCsrfToken } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { CodeField, PasswordField, TextField } from "../components/Field";
import { Layout } from "../components/Layout";
import { useAction } from "../components/useAction";
import { useTextFields } from "../components/useTextFields";
import { useI18n } from "../i18n";
import { ME_KEY } from "../lib/session";

/** Only a path inside the console: never an address elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [stage, setStage] = useState<"password" | "totp">("password");
  const [recovery, setRecovery] = useState(false);
  const { busy, error, setError, run, problem } = useAction();
  const form = useTextFields({ email: "", password: "", code: "" }, problem);
  const { email, password, code } = form.values;

  const finish = async (csrfToken: string | undefined) => {
    setCsrfToken(csrfToken);
    // Also when no page watches it: a person who opened a console page first was sent here with
    // "nobody" cached, and the page they go back to must not read that again.
    await queryClient.invalidateQueries({ queryKey: ME_KEY, refetchType: "all" });
    void navigate(safeNext(params.get("next")), { replace: true });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      if (stage === "password") {
        const answer = await call(api.POST("/api/auth/login", { body: { email, password } }));
        if (answer.stage === "totp") setStage("totp");
        else await finish(answer.csrfToken);
      } else {
        const body = recovery ? { recoveryCode: code.trim() } : { code: code.replace(/\s/g, "") };
        const answer = await call(api.POST("/api/auth/totp", { body }));
        await finish(answer.csrfToken);
      }
    });
  };

  const reason = params.get("reason");
  return (
    <Layout>
      <div className="row justify-content-center">
        <div className="col-12 col-md-8 col-lg-5">
          <h1 className="h2 mb-3">
            {stage === "password" ? t("login.title") : t("login.totpTitle")}
          </h1>
          {reason === "expired" ? <Alert color="warning">{t("login.expired")}</Alert> : null}
          {reason === "logout" ? <Alert color="info">{t("login.loggedOut")}</Alert> : null}
          <form onSubmit={(e) => void submit(e)} noValidate>
            {stage === "password" ? (
              <>
                <p>{t("login.intro")}</p>
                <TextField
                  label={t("login.email")}
                  type="email"
                  autoComplete="username"
                  required
                  {...form.field("email")}
                />
                <PasswordField
                  label={t("login.password")}
                  kind="current"
                  {...form.field("password")}
                />
              </>
            ) : (
              <>
                <p>{recovery ? t("login.recoveryIntro") : t("login.totpIntro")}</p>
                <CodeField
                  key={recovery ? "recovery" : "totp"}
                  label={recovery ? t("login.recoveryCode") : t("login.code")}
                  recovery={recovery}
                  autoFocus
                  {...form.field("code", recovery ? "recoveryCode" : "code")}
                />
                <p>
                  <button
                    type="button"
                    className="btn btn-link p-0"
                    onClick={() => {
                      setRecovery(!recovery);
                      form.set("code", "");
                      setError(null);
                    }}
                  >
                    {recovery ? t("login.useTotp") : t("login.useRecovery")}
                  </button>
                </p>
              </>
            )}
            <ErrorAlert error={error} shownFields={["email", "password", "code", "recoveryCode"]} />
            <Button color="primary" type="submit" disabled={busy}>
              {stage === "password" ? t("login.submit") : t("login.verify")}
            </Button>
          </form>
        </div>
      </div>
    </Layout>
  );
}
