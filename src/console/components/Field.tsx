import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type TextareaHTMLAttributes,
} from "react";

/**
 * A labelled form field in Bootstrap Italia's markup: the label always above (never a
 * placeholder in its stead), a help text and the API's problem with the field beside it, both
 * tied to the input for screen readers.
 */
interface FieldProps {
  label: string;
  help?: ReactNode;
  error?: string | undefined;
  /** Shown under the field, e.g. a character counter. */
  after?: ReactNode;
}

function describedBy(id: string, help: unknown, error: unknown, after: unknown) {
  const ids = [help ? `${id}-help` : "", after ? `${id}-after` : "", error ? `${id}-error` : ""];
  return ids.filter(Boolean).join(" ") || undefined;
}

function Extras({ id, help, error, after }: FieldProps & { id: string }) {
  return (
    <>
      {after ? (
        <div id={`${id}-after`} className="form-text">
          {after}
        </div>
      ) : null}
      {help ? (
        <div id={`${id}-help`} className="form-text">
          {help}
        </div>
      ) : null}
      {error ? (
        <div id={`${id}-error`} className="invalid-feedback d-block" role="alert">
          {error}
        </div>
      ) : null}
    </>
  );
}

export function TextField({
  label,
  help,
  error,
  after,
  ...input
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="form-group mb-4">
      <label htmlFor={id} className="active">
        {label}
      </label>
      <input
        id={id}
        type="text"
        className={`form-control${error ? " is-invalid" : ""}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, help, error, after)}
        {...input}
      />
      <Extras id={id} label={label} help={help} error={error} after={after} />
    </div>
  );
}

export function TextAreaField({
  label,
  help,
  error,
  after,
  ...input
}: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className="form-group mb-4">
      <label htmlFor={id} className="active">
        {label}
      </label>
      <textarea
        id={id}
        className={`form-control${error ? " is-invalid" : ""}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, help, error, after)}
        {...input}
      />
      <Extras id={id} label={label} help={help} error={error} after={after} />
    </div>
  );
}

export function CheckField({
  label,
  error,
  ...input
}: { label: ReactNode; error?: string | undefined } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="form-check">
      <input id={id} type="checkbox" aria-invalid={error ? true : undefined} {...input} />
      <label htmlFor={id}>{label}</label>
      {error ? <div className="invalid-feedback d-block">{error}</div> : null}
    </div>
  );
}
