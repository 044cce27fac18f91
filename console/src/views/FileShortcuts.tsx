import { useEffect, useRef } from "preact/hooks";
import { useT } from "../lib/i18n";
import { Dialog } from "../ui/widgets";

/** The file list's keyboard shortcuts (docs/console.md "Keyboard shortcuts"): keys as shown, and their message. */
export const SHORTCUTS: [keys: string[], what: string][] = [
  [["j", "↓"], "keys.down"],
  [["k", "↑"], "keys.up"],
  [["Enter"], "keys.open"],
  [["Space"], "keys.select"],
  [["Delete"], "keys.delete"],
  [["/"], "keys.filter"],
  [["?"], "keys.help"],
];

export interface ShortcutHandlers {
  /** Move the cursor by `step` rows. */
  move: (step: 1 | -1) => void;
  open: () => void;
  toggle: () => void;
  remove: () => void;
  filter: () => void;
  help: () => void;
}

/**
 * Listens for the shortcuts on the page while the file list is shown. Keys typed into a field, with
 * a modifier, or while a dialog is open are left alone; so are Enter and Space on the control that
 * has focus, which act on it natively (a checkbox toggles itself).
 */
export function useFileShortcuts(handlers: ShortcutHandlers): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const target = e.target instanceof HTMLElement ? e.target : null;
      if (target?.closest("textarea, select, [contenteditable]") || (target?.matches("input") && !target.matches("[type=checkbox]"))) return;
      if (document.querySelector("dialog[open]")) return;
      const h = current.current;
      const onControl = !!target?.matches("input[type=checkbox]");
      // A button or link outside the rows keeps its own Enter and Space.
      const onOtherButton = !!target?.matches("a, button") && !target.closest("[data-row]");
      const act: Record<string, (() => void) | undefined> = {
        j: () => h.move(1),
        ArrowDown: () => h.move(1),
        k: () => h.move(-1),
        ArrowUp: () => h.move(-1),
        Enter: target?.matches("a, button") || onControl ? undefined : h.open,
        " ": onControl || onOtherButton ? undefined : h.toggle,
        Delete: h.remove,
        "/": h.filter,
        "?": h.help,
      };
      const run = act[e.key];
      if (!run) return;
      e.preventDefault();
      run();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

/** The list of shortcuts, as `?` and the toolbar's button show it. */
export function ShortcutsDialog(props: { onClose: () => void }) {
  const { t } = useT();
  return (
    <Dialog title={t("keys.title")} onClose={props.onClose}>
      <div class="dialog-body">
        <table class="shortcuts">
          <caption class="sr-only">{t("keys.title")}</caption>
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr>
                <th scope="row">
                  {keys.map((k, i) => (
                    <>
                      {i > 0 && " / "}
                      <kbd>{k}</kbd>
                    </>
                  ))}
                </th>
                <td>{t(what)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="hint">{t("keys.when")}</p>
      </div>
    </Dialog>
  );
}
