import { useState, type ChangeEvent } from "react";

/**
 * A form's text fields: each one's value, and `field(name)` to spread on its TextField (the
 * value, what typing does, and the API's problem with the field, by the name the API gives it,
 * the field's own unless told).
 */
export function useTextFields<Name extends string>(
  initial: Record<Name, string>,
  problem: (field: string) => string | undefined,
) {
  const [values, setValues] = useState(initial);
  const set = (name: Name, value: string) => setValues((now) => ({ ...now, [name]: value }));
  const field = (name: Name, apiField: string = name) => ({
    value: values[name],
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      set(name, event.target.value),
    error: problem(apiField),
  });
  /** Every field back to its first value: the form was sent. */
  const reset = () => setValues(initial);
  return { values, set, field, reset };
}
