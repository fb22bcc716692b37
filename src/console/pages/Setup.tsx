import { useQueryClient } from "@tanstack/react-query";
import { Alert, Button } from "design-react-kit";
import QRCode from "qrcode";
import { useEffect, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api, call, setCsrfToken } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { CheckField, CodeField, PasswordField } from "../components/Field";
import { Layout } from "../components/Layout";
import { useAction } from "../components/useAction";
import { useTextFields } from "../components/useTextFields";
import { useI18n } from "../i18n";
import { ME_KEY, type Me } from "../lib/session";

type Step = "password" | "totp" | "codes";

/** The token of the one-time link (`/console/setup#token=…`): kept out of the server's logs. */
function tokenFromHash(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
}

function Steps({ step }: { step: Step }) {
  const { t } = useI18n();
  const steps: [Step, string][] = [
    ["password", t("setup.stepPassword")],
    ["totp", t("setup.stepTotp")],
    ["codes", t("setup.stepCodes")],
  ];
  return (
    <ol className="list-inline d-flex flex-wrap gap-3 mb-4">
      {steps.map(([id, label], index) => (
        <li
          key={id}
          className={`list-inline-item ${id === step ? "fw-bold text-primary" : "text-secondary"}`}
          aria-current={id === step ? "step" : undefined}
        >
          {index + 1}. {label}
        </li>
      ))}
    </ol>
  );
}

export function SetupPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [token] = useState(tokenFromHash);
  const [step, setStep] = useState<Step>("password");
  const [mismatch, setMismatch] = useState(false);
  const [enrolment, setEnrolment] = useState<{ secret: string; uri: string; qr: string } | null>(
    null,
  );
  const [codes, setCodes] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);
  const [me, setMe] = useState<Me | null>(null);
  const { busy, error, run, problem } = useAction();
  const form = useTextFields({ password: "", confirm: "", code: "" }, problem);
  const { password, confirm, code } = form.values;

  // The token leaves the address bar once read: a screenshot or a shared screen shows no secret.
  useEffect(() => {
    if (window.location.hash) history.replaceState(null, "", window.location.pathname);
  }, []);

  const startTotp = async () => {
    const started = await call(api.POST("/api/auth/totp/enrol"));
    const qr = await QRCode.toDataURL(started.uri, { margin: 1, width: 220 });
    setEnrolment({ ...started, qr });
    setStep("totp");
  };

  const savePassword = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    void run(async () => {
      const answer = await call(api.POST("/api/auth/setup", { body: { token, password } }));
      setCsrfToken(answer.csrfToken);
      setMe(await call(api.GET("/api/auth/me")));
      await startTotp();
    });
  };

  const confirmTotp = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const answer = await call(
        api.POST("/api/auth/totp/confirm", { body: { code: code.replace(/\s/g, "") } }),
      );
      setCodes(answer.recoveryCodes);
      setStep("codes");
    });
  };

  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: ME_KEY, refetchType: "all" });
    void navigate("/", { replace: true });
  };

  const download = () => {
    const text = `${t("setup.codesFile", { email: me?.user.email ?? "" })}\n\n${codes.join("\n")}\n`;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    link.download = "banditore-recovery-codes.txt";
    link.click();
    URL.revokeObjectURL(link.href);
  };

  const totpRequired = (me?.twoFactor.requiredIn.length ?? 0) > 0;
  return (
    <Layout>
      <div className="row justify-content-center">
        <div className="col-12 col-md-10 col-lg-7">
          <h1 className="h2 mb-3">{t("setup.title")}</h1>
          <Steps step={step} />
          {!token && step === "password" ? (
            <Alert color="danger">{t("setup.noToken")}</Alert>
          ) : null}
          {step === "password" && token ? (
            <form onSubmit={savePassword} noValidate>
              <p>{t("setup.intro")}</p>
              <PasswordField
                label={t("setup.password")}
                kind="new"
                help={t("setup.passwordHelp")}
                {...form.field("password")}
              />
              <PasswordField
                label={t("setup.confirm")}
                kind="new"
                {...form.field("confirm")}
                error={mismatch ? t("setup.mismatch") : undefined}
              />
              <ErrorAlert error={error} shownFields={["password"]} />
              <Button color="primary" type="submit" disabled={busy}>
                {t("setup.submit")}
              </Button>
            </form>
          ) : null}
          {step === "totp" && enrolment ? (
            <form onSubmit={confirmTotp} noValidate>
              {totpRequired ? <Alert color="info">{t("setup.totpRequired")}</Alert> : null}
              <p>{t("setup.totpIntro")}</p>
              <div className="d-flex flex-column flex-md-row gap-4 align-items-start mb-4">
                <img src={enrolment.qr} width={220} height={220} alt={t("setup.qrAlt")} />
                <div>
                  <p className="mb-1">{t("setup.manual")}</p>
                  <code className="d-block text-break fs-6" data-testid="totp-secret">
                    {enrolment.secret}
                  </code>
                </div>
              </div>
              <CodeField label={t("setup.totpCode")} {...form.field("code")} />
              <ErrorAlert error={error} shownFields={["code"]} />
              <div className="d-flex flex-wrap gap-3">
                <Button color="primary" type="submit" disabled={busy}>
                  {t("setup.totpSubmit")}
                </Button>
                {!totpRequired ? (
                  <Button color="secondary" outline type="button" onClick={() => void done()}>
                    {t("setup.skip")}
                  </Button>
                ) : null}
              </div>
            </form>
          ) : null}
          {step === "codes" ? (
            <div>
              <p>{t("setup.codesIntro")}</p>
              <ul
                className="list-unstyled row row-cols-2 g-2 mb-3"
                aria-label={t("setup.codesLabel")}
              >
                {codes.map((c) => (
                  <li key={c} className="col">
                    <code className="fs-6">{c}</code>
                  </li>
                ))}
              </ul>
              <Button color="primary" outline type="button" className="mb-4" onClick={download}>
                {t("setup.download")}
              </Button>
              <CheckField
                label={t("setup.saved")}
                checked={saved}
                onChange={(e) => setSaved(e.target.checked)}
              />
              <Button
                color="primary"
                type="button"
                className="mt-3"
                disabled={!saved}
                onClick={() => void done()}
              >
                {t("setup.done")}
              </Button>
            </div>
          ) : null}
        </div>
      </div>
    </Layout>
  );
}
