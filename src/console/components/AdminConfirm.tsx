import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from "design-react-kit";
import { useId } from "react";
import { useI18n } from "../i18n";

/**
 * The confirmation before a destructive action of the admin pages: a real dialog (focus moves
 * into it, Escape and the cancel button close it, focus comes back), the action's consequence in
 * plain words, and the action's own label on the button that does it.
 */
export function AdminConfirm({
  open,
  title,
  text,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
  children,
}: {
  open: boolean;
  title: string;
  text: string;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  /** Under the text: e.g. the API's refusal of the action. */
  children?: React.ReactNode;
}) {
  const { t } = useI18n();
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
          {t("admin.common.cancel")}
        </Button>
        <Button color="danger" disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </ModalFooter>
    </Modal>
  );
}
