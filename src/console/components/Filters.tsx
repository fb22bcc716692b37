import { useId, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { FieldError } from "./Field";

const classes = (...names: (string | undefined)[]) => names.filter(Boolean).join(" ");

function describedBy(id: string, help: unknown, error: unknown) {
  return classes(help ? `${id}-help` : undefined, error ? `${id}-error` : undefined) || undefined;
}

/** One choice of a SelectFilter: the value the list is filtered by, and what staff read. */
export interface FilterOption {
  value: string;
  label: string;
}

/**
 * A list's filter as a choice among options (Bootstrap Italia's select), its problem beside it:
 * the choice of everything first, then the options given, or the caller's own (groups).
 */
export function SelectFilter({
  label,
  value,
  onChange,
  all,
  options = [],
  children,
  error,
  help,
  className,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The first choice, that filters nothing ("Tutti gli stati"). */
  all: string;
  options?: readonly FilterOption[];
  /** After the options: choices the list cannot give (groups, kinds of actor). */
  children?: ReactNode;
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
          <option value="">{all}</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
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

/**
 * Filters kept in the address (a filtered list can be bookmarked and shared): each one's value
 * ("" when not set), whether any is set, and `bind(name)` to spread on its SelectFilter or
 * DateFilter.
 */
export function useAddressFilters<Name extends string>(names: readonly Name[]) {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(names.map((n) => [n, params.get(n) ?? ""])) as Record<
    Name,
    string
  >;
  const set = (name: Name, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const clear = () => setParams(new URLSearchParams(), { replace: true });
  const filtered = names.some((n) => values[n]);
  const bind = (name: Name) => ({
    value: values[name],
    onChange: (value: string) => set(name, value),
  });
  return { params, values, filtered, bind, clear };
}
