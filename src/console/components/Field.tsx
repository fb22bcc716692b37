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

/** The API's problem with a field (or a group of them), said under it; nothing when there is none. */
export function FieldError({ id, children }: { id?: string; children: ReactNode }) {
  if (!children) return null;
  return (
    <div id={id} className="invalid-feedback d-block" role="alert">
      {children}
    </div>
  );
}

/** What a text field's input or text area takes from the field: its id, state and descriptions. */
function controlProps(id: string, { help, error, after }: Omit<FieldProps, "label">) {
  return {
    id,
    className: `form-control${error ? " is-invalid" : ""}`,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy(id, help, error, after),
  };
}

/** The label above the control, and under it what comes after, the help and the problem. */
function Frame({
  id,
  label,
  help,
  error,
  after,
  children,
}: FieldProps & { id: string; children: ReactNode }) {
  return (
    <div className="form-group mb-4">
      <label htmlFor={id} className="active">
        {label}
      </label>
      {children}
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
      <FieldError id={`${id}-error`}>{error}</FieldError>
    </div>
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
    <Frame id={id} label={label} help={help} error={error} after={after}>
      <input type="text" {...controlProps(id, { help, error, after })} {...input} />
    </Frame>
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
    <Frame id={id} label={label} help={help} error={error} after={after}>
      <textarea {...controlProps(id, { help, error, after })} {...input} />
    </Frame>
  );
}

/**
 * A password, always asked for: the one the person has (the browser may fill it in), or a new
 * one (the browser may offer to make one up and remember it).
 */
export function PasswordField({
  kind,
  ...field
}: { kind: "current" | "new" } & FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return <TextField type="password" autoComplete={`${kind}-password`} required {...field} />;
}

/**
 * A one-time code: the authenticator app's six digits (the phone's number pad), or a recovery
 * code; the browser may fill it in itself.
 */
export function CodeField({
  recovery = false,
  ...field
}: { recovery?: boolean } & FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <TextField
      inputMode={recovery ? "text" : "numeric"}
      autoComplete="one-time-code"
      required
      {...field}
    />
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

/** One choice among a few (radio buttons of one group), each with its label beside it. */
export function RadioChoice<Value extends string>({
  value,
  options,
  onChange,
}: {
  value: Value;
  /** Each choice's value and label, in the order shown. */
  options: Record<Value, string>;
  onChange: (value: Value) => void;
}) {
  const name = useId();
  return (Object.entries(options) as [Value, string][]).map(([option, label]) => (
    <CheckField
      key={option}
      type="radio"
      name={name}
      label={label}
      checked={value === option}
      onChange={() => onChange(option)}
    />
  ));
}
