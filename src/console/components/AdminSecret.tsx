import { Button } from "design-react-kit";
import { useId, useRef, useState } from "react";
import { useI18n } from "../i18n";

/**
 * A secret shown once (a setup link, an API key): read-only in a labelled field, with a copy
 * button whose outcome is announced. The clipboard API needs a secure context; elsewhere the
 * text is selected and copied the old way, and failing that the person copies it by hand.
 */
export function AdminSecret({ label, value }: { label: string; value: string }) {
  const { t } = useI18n();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<"" | "copied" | "failed">("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      input.current?.select();
      const done = document.execCommand("copy");
      setState(done ? "copied" : "failed");
    }
  };
  return (
    <div className="mb-3">
      <label htmlFor={id} className="fw-semibold d-block mb-1">
        {label}
      </label>
      <div className="d-flex flex-wrap gap-2 align-items-stretch">
        <input
          id={id}
          ref={input}
          className="form-control font-monospace flex-grow-1"
          style={{ minWidth: 0, flexBasis: "16rem" }}
          readOnly
          value={value}
          onFocus={(e) => e.target.select()}
          data-testid="secret"
        />
        <Button color="primary" type="button" onClick={() => void copy()}>
          {t("admin.common.copy")}
        </Button>
      </div>
      <p className="small mt-1 mb-0" role="status" aria-live="polite">
        {state === "copied"
          ? t("admin.common.copied")
          : state === "failed"
            ? t("admin.common.copyFailed")
            : ""}
      </p>
    </div>
  );
}
