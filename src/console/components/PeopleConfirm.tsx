import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from "design-react-kit";
import { useId, type FormEvent, type ReactNode } from "react";
import { useI18n } from "../i18n";
import { ErrorAlert } from "./ErrorAlert";

/**
 * A confirmation before an action on a person: design-react-kit's Modal (focus moves into it
 * and back to the button that opened it), a title that asks, a body that says plainly what will
 * happen, the API's refusal inside the dialog, and the action as a form's submit button.
 */
export function PeopleConfirm({
  open,
  title,
  children,
  confirm,
  danger = false,
  busy,
  error,
  shownFields,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirm: string;
  danger?: boolean;
  busy: boolean;
  error: unknown;
  /** Fields the body shows with their own problem (the rest goes in the alert). */
  shownFields?: string[];
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy) onConfirm();
  };
  return (
    <Modal isOpen={open} toggle={onCancel} labelledBy={`${id}-title`} returnFocusAfterClose>
      <form onSubmit={submit} noValidate>
        <ModalHeader toggle={onCancel} closeAriaLabel={t("people.person.close")}>
          <span id={`${id}-title`}>{title}</span>
        </ModalHeader>
        <ModalBody>
          {children}
          <ErrorAlert error={error} shownFields={shownFields ?? []} />
        </ModalBody>
        <ModalFooter>
          <Button color="secondary" outline type="button" onClick={onCancel}>
            {t("people.person.keep")}
          </Button>
          <Button color={danger ? "danger" : "primary"} type="submit" disabled={busy}>
            {confirm}
          </Button>
        </ModalFooter>
      </form>
    </Modal>
  );
}
