import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from "design-react-kit";
import { useId, type ReactNode } from "react";

/**
 * The confirmation before an action that cannot simply be taken back: a real dialog (focus moves
 * into it, Escape and the cancel button close it, focus comes back), the action's consequence in
 * plain words, and the action's own label on the button that does it.
 */
export function ConfirmDialog({
  open,
  title,
  text,
  confirmLabel,
  cancelLabel,
  danger = true,
  busy,
  onConfirm,
  onCancel,
  children,
}: {
  open: boolean;
  title: string;
  text: string;
  confirmLabel: string;
  cancelLabel: string;
  /** The action destroys something: its button is red. */
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  /** Under the text: e.g. the API's refusal of the action. */
  children?: ReactNode;
}) {
  const id = useId();
  return (
    <Modal isOpen={open} toggle={onCancel} labelledBy={`${id}-title`}>
      <ModalHeader toggle={onCancel} id={`${id}-title`}>
        {title}
      </ModalHeader>
      <ModalBody>
        <p>{text}</p>
        {children}
      </ModalBody>
      <ModalFooter>
        <Button color="secondary" outline onClick={onCancel}>
          {cancelLabel}
        </Button>
        <Button color={danger ? "danger" : "primary"} disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </ModalFooter>
    </Modal>
  );
}
