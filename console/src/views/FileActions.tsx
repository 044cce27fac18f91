import { useEffect, useState } from "preact/hooks";
import type { BucketClient } from "../lib/api";
import { explain } from "../lib/explain";
import { baseName } from "../lib/format";
import { useT } from "../lib/i18n";
import { CopyButton, Dialog, ErrorBox } from "../ui/widgets";

/**
 * What a file row and the file details share: a presigned link (a lifetime from 5 minutes to
 * 7 days, the limit the CLI's `presign` also keeps) and Rename (UFile Rename, optionally
 * replacing a file of the new name).
 */
export const LIFETIMES = [
  [300, "link.5min"],
  [3600, "link.1h"],
  [86400, "link.1d"],
  [7 * 86400, "link.7d"],
] as const;

/** Lifetime choice, the link, and a copy button. `auto`: make (and copy) a 1-hour link at once. */
export function ShareLink(props: { client: BucketClient; fileKey: string; auto?: boolean }) {
  const { t } = useT();
  const [lifetime, setLifetime] = useState(3600);
  const [link, setLink] = useState("");
  const [copied, setCopied] = useState<string | null>(null);
  const make = async (seconds: number, copy: boolean) => {
    const url = await props.client.presign(props.fileKey, seconds);
    setLink(url);
    if (!copy) return;
    try {
      await navigator.clipboard.writeText(url);
      setCopied(t("link.copiedFor", { lifetime: t(LIFETIMES.find(([s]) => s === seconds)![1]) }));
    } catch {
      setCopied(t("common.copyFailed"));
    }
  };
  useEffect(() => {
    if (props.auto) void make(3600, true);
  }, [props.fileKey]);
  return (
    <>
      <div class="inline-form small">
        <label for="lifetime">{t("link.lifetime")}</label>
        <select
          id="lifetime"
          value={lifetime}
          onChange={(ev) => {
            const seconds = Number(ev.currentTarget.value);
            setLifetime(seconds);
            setCopied(null);
            if (props.auto) void make(seconds, false);
          }}
        >
          {LIFETIMES.map(([s, key]) => (
            <option value={s}>{t(key)}</option>
          ))}
        </select>
        {!props.auto && (
          <button type="button" onClick={() => void make(lifetime, false)}>
            {t("link.make")}
          </button>
        )}
      </div>
      {link && (
        <div class="inline-form small">
          <label for="link">{t("link.url")}</label>
          <input id="link" readOnly value={link} onFocus={(ev) => ev.currentTarget.select()} />
          <CopyButton text={link} />
        </div>
      )}
      {copied && (
        <p class="hint" role="status">
          {copied}
        </p>
      )}
      <p class="hint">{t("link.hint")}</p>
    </>
  );
}

/** New key (prefilled with the current one) and "replace"; `onDone` gets the new key. */
export function RenameForm(props: { client: BucketClient; fileKey: string; onDone: (newKey: string) => void; onError: (message: string) => void }) {
  const { t } = useT();
  const [newKey, setNewKey] = useState(props.fileKey);
  const [force, setForce] = useState(false);
  return (
    <form
      class="inline-form small"
      onSubmit={(ev) => {
        ev.preventDefault();
        const target = newKey.trim();
        props.client.rename(props.fileKey, target, force).then(
          () => props.onDone(target),
          (err) => props.onError(explain(t, err)),
        );
      }}
    >
      <label for="new-key">{t("details.newKey")}</label>
      <input id="new-key" required value={newKey} onInput={(ev) => setNewKey(ev.currentTarget.value)} />
      <span class="check">
        <input id="force" type="checkbox" checked={force} onChange={(ev) => setForce(ev.currentTarget.checked)} />
        <label for="force">{t("details.replace")}</label>
      </span>
      <button type="submit">{t("details.renameButton")}</button>
    </form>
  );
}

/** A file row's "Copy link": a 1-hour link made and copied at once, its lifetime changeable. */
export function ShareLinkDialog(props: { client: BucketClient; fileKey: string; onClose: () => void }) {
  const { t } = useT();
  return (
    <Dialog title={t("link.titleFor", { name: baseName(props.fileKey) })} onClose={props.onClose}>
      <div class="dialog-body">
        <ShareLink client={props.client} fileKey={props.fileKey} auto />
      </div>
    </Dialog>
  );
}

/** A file row's "Rename". */
export function RenameDialog(props: { client: BucketClient; fileKey: string; onClose: () => void; onRenamed: (newKey: string) => void }) {
  const { t } = useT();
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={t("details.renameTitle", { name: baseName(props.fileKey) })} onClose={props.onClose}>
      <div class="dialog-body">
        <RenameForm client={props.client} fileKey={props.fileKey} onDone={props.onRenamed} onError={setError} />
        <ErrorBox message={error} />
      </div>
    </Dialog>
  );
}
