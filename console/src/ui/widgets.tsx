import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { useT } from "../lib/i18n";

/** A modal dialog on the native <dialog>: focus moves in, Esc closes, focus returns where it was. */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { t } = useT();
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => opener?.focus?.();
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? "wide" : ""}
      aria-labelledby="dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header class="dialog-head">
        <h2 id="dialog-title">{props.title}</h2>
        <button type="button" class="icon" aria-label={t("common.close")} onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** A yes/no question in a dialog; the destructive button is named after the action. */
export function Confirm(props: { title: string; message: ComponentChildren; action: string; onConfirm: () => void; onClose: () => void }) {
  const { t } = useT();
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <div class="dialog-body">{props.message}</div>
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          {t("common.cancel")}
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}

export function ErrorBox(props: { message: string | null }) {
  if (!props.message) return null;
  return (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}

export function Notice(props: { children: ComponentChildren; kind?: "info" | "warn" | "ok" }) {
  return (
    <div class={`notice ${props.kind ?? "info"}`} role="status">
      {props.children}
    </div>
  );
}

/** A progress bar; its text (percent, then `detail` such as rate and time left) sits beside the fill, never on it. */
/** What an empty screen says: that it is empty, and the first step to fill it. */
export function EmptyState(props: { title: string; step: string }) {
  return (
    <div class="empty" data-testid="empty-state">
      <p class="empty-title">{props.title}</p>
      <p>{props.step}</p>
    </div>
  );
}

export function Progress(props: { value: number; max: number; label: string; detail?: string }) {
  const pct = props.max > 0 ? Math.min(100, Math.round((props.value / props.max) * 100)) : 100;
  const text = props.detail ? `${pct}% · ${props.detail}` : `${pct}%`;
  return (
    <div class="progress-line">
      <div class="progress" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={text}>
        <div class="bar" style={{ width: `${pct}%` }} />
      </div>
      <span class="pct">{text}</span>
    </div>
  );
}

/** Copies text; says so for screen readers and sighted users alike. */
export function CopyButton(props: { text: string; label?: string }) {
  const { t } = useT();
  const live = useRef<HTMLSpanElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      if (live.current) live.current.textContent = t("common.copied");
    } catch {
      if (live.current) live.current.textContent = t("common.copyFailed");
    }
    setTimeout(() => live.current && (live.current.textContent = ""), 2500);
  };
  return (
    <span class="copy">
      <button type="button" onClick={copy}>
        {props.label ?? t("common.copy")}
      </button>
      <span ref={live} class="copied" aria-live="polite" />
    </span>
  );
}
