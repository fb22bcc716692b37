import { useState } from "react";
import { ApiError } from "../api/client";

/** The API's problem with one field ("title") in a refusal, if the refusal named it. */
export function problemOf(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.problemWith(field) : undefined;
}

/**
 * A write the person started from a form or a button: busy while it runs (the buttons wait), its
 * refusal kept to be said next to the form, and each field's own problem in it.
 */
export function useAction(
  /** Told of a refusal once it is kept, before the buttons are free again. */
  onFail?: (caught: unknown) => void | Promise<void>,
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** Runs the write; true when it went through, false when it was refused. */
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (caught) {
      setError(caught);
      await onFail?.(caught);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const problem = (field: string) => problemOf(error, field);
  return { busy, error, setError, run, problem };
}
