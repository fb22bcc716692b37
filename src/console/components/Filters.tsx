import { useId, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { FieldError } from "./Field";

const classes = (...names: (string | undefined)[]) => names.filter(Boolean).join(" ");

function describedBy(id: string, help: unknown, error: unknown) {
  return classes(help ? `${id}-help` : undefined, error ? `${id}-error` : undefined) || undefined;
}

/** A list's filter as a choice among options (Bootstrap Italia's select), its problem beside it. */
export function SelectFilter({
  label,
  value,
  onChange,
  children,
  error,
  help,
  className,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  children: ReactNode;
  error?: string | undefined;
  /** Under the choice: what the filter counts. */
  help?: ReactNode;
  /** Beside "select-wrapper": its spacing. */
  className?: string;
}) {
  const id = useId();
  return (
    <>
      <div className={classes("select-wrapper", className)}>
        <label htmlFor={id}>{label}</label>
        <select
          id={id}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, help, error)}
        >
          {children}
        </select>
        <FieldError id={`${id}-error`}>{error}</FieldError>
      </div>
      {help ? (
        <div id={`${id}-help`} className="form-text">
          {help}
        </div>
      ) : null}
    </>
  );
}

/** A list's filter as a calendar day, its problem beside it. */
export function DateFilter({
  label,
  value,
  onChange,
  error,
  className,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  /** Beside "form-group": its spacing. */
  className?: string;
}) {
  const id = useId();
  return (
    <div className={classes("form-group", className)}>
      <label htmlFor={id} className="active">
        {label}
      </label>
      <input
        id={id}
        type="date"
        className={`form-control${error ? " is-invalid" : ""}`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, undefined, error)}
      />
      <FieldError id={`${id}-error`}>{error}</FieldError>
    </div>
  );
}

/** Filters kept in the address (a filtered list can be bookmarked and shared). */
export function useAddressFilters() {
  const [params, setParams] = useSearchParams();
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const clear = () => setParams(new URLSearchParams(), { replace: true });
  return { params, set, clear };
}
