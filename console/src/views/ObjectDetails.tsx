import { useEffect, useState } from "preact/hooks";
import type { ObjectEntry } from "../lib/api";
import { useApp } from "../lib/context";
import { explain } from "../lib/explain";
import { download } from "../lib/download";
import { baseName, bytes, count, dateTime, previewKind } from "../lib/format";
import { useT } from "../lib/i18n";
import { decodedWords } from "../../../src/core/encoded-words";
import { Confirm, Dialog, ErrorBox, Notice } from "../ui/widgets";
import { RenameForm, ShareLink } from "./FileActions";

const CLASSES = ["STANDARD", "IA", "ARCHIVE", "COLD"];
const TEXT_PREVIEW_BYTES = 64 * 1024;
const ARCHIVAL = (c: string) => c === "ARCHIVE" || c === "COLD";

/** Shows a file and everything one can do with it. Previews read through presigned URLs, so media seek with ranges. */
export function ObjectDetails(props: { bucket: string; entry: ObjectEntry; onClose: () => void; onChanged: (message: string) => void }) {
  const { t, lang } = useT();
  const ctx = useApp();
  const client = ctx.bucket(props.bucket);
  const e = props.entry;
  const kind = previewKind(e.MimeType, e.Key);
  const archival = ARCHIVAL(e.StorageClass);
  const [restore, setRestore] = useState<string | null>(null);
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copyBucket, setCopyBucket] = useState(props.bucket);
  const [copyKey, setCopyKey] = useState(e.Key.replace(/(\.[^./]+)?$/, "-copy$1"));
  const [storageClass, setStorageClass] = useState(e.StorageClass);
  const [mime, setMime] = useState(e.MimeType);
  // Values stored as RFC 2047 encoded-words (how non-ASCII metadata travels) are shown and compared as their text.
  const storedMeta = Object.fromEntries(Object.entries(e.UserMeta ?? {}).map(([k, v]) => [k, decodedWords(v)]));
  const [meta, setMeta] = useState<[string, string][]>(Object.entries(storedMeta));
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    client
      .head(e.Key)
      .then((res) => setRestore(res.headers.get("X-Ufile-Restore")))
      .catch(() => undefined);
    if (!kind || archival) return;
    if (kind === "text") {
      client
        .request({ method: "GET", key: e.Key, headers: { Range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } })
        .then((res) => res.text())
        .then(setText)
        .catch((err) => setError(explain(t, err)));
    } else {
      void client.presign(e.Key, 3600).then(setPreviewUrl);
    }
  }, [e.Key]);

  const run = async (what: () => Promise<unknown>, message: string) => {
    setError(null);
    try {
      await what();
      props.onChanged(message);
    } catch (err) {
      setError(explain(t, err));
    }
  };


  const saveMeta = (ev: Event) => {
    ev.preventDefault();
    const wanted = Object.fromEntries(meta.filter(([k]) => k.trim()).map(([k, v]) => [k.trim().toLowerCase(), v]));
    const metaChanged = JSON.stringify(wanted) !== JSON.stringify(storedMeta);
    void run(async () => {
      if (mime !== e.MimeType) await client.setMimeType(e.Key, mime);
      // User metadata is replaced by copying the object onto itself (no bytes move).
      if (metaChanged) await client.copy(props.bucket, e.Key, e.Key, wanted);
    }, t("details.metaSaved"));
  };

  return (
    <Dialog title={baseName(e.Key)} onClose={props.onClose} wide>
      <div class="details">
        <div class="preview" aria-label={t("details.preview")}>
          {archival && <Notice kind="warn">{t("details.archivalNoPreview")}</Notice>}
          {kind === "image" && previewUrl && <img src={previewUrl} alt={t("details.previewOf", { name: baseName(e.Key) })} />}
          {kind === "audio" && previewUrl && <audio controls preload="metadata" src={previewUrl} aria-label={t("details.previewOf", { name: baseName(e.Key) })} />}
          {kind === "video" && previewUrl && <video controls preload="metadata" src={previewUrl} aria-label={t("details.previewOf", { name: baseName(e.Key) })} />}
          {kind === "text" && text !== null && (
            <>
              <pre class="text-preview" tabIndex={0} aria-label={t("details.previewOf", { name: baseName(e.Key) })}>
                {text}
              </pre>
              {Number(e.Size) > TEXT_PREVIEW_BYTES && <p class="hint">{t("details.textTruncated", { n: bytes(TEXT_PREVIEW_BYTES) })}</p>}
            </>
          )}
          {!kind && <p class="hint">{t("details.noPreview")}</p>}
        </div>
        <dl class="props">
          <dt>{t("details.key")}</dt>
          <dd class="mono">{e.Key}</dd>
          <dt>{t("files.size")}</dt>
          {/* The exact byte count only where the unit rounds it. */}
          <dd data-testid="details-size">{Number(e.Size) < 1024 ? bytes(Number(e.Size)) : `${bytes(Number(e.Size))} (${count(Number(e.Size), lang)} B)`}</dd>
          <dt>{t("details.type")}</dt>
          <dd>{e.MimeType}</dd>
          <dt>ETag</dt>
          <dd class="mono">{e.ETag}</dd>
          <dt>{t("files.class")}</dt>
          <dd>
            {t(`class.${e.StorageClass}`)}
            {restore ? ` · ${restore}` : ""}
          </dd>
          <dt>{t("files.modified")}</dt>
          <dd>{dateTime(e.LastModified, lang)}</dd>
        </dl>
      </div>
      <ErrorBox message={error} />

      <div class="actions">
        <button type="button" class="primary" onClick={() => void download(client, e.Key)}>
          {t("details.download")}
        </button>
        <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
          {t("common.delete")}
        </button>
      </div>

      <section class="panel" aria-labelledby="link-title">
        <h3 id="link-title">{t("link.title")}</h3>
        <ShareLink client={client} fileKey={e.Key} />
      </section>

      <section class="panel" aria-labelledby="rename-title">
        <h3 id="rename-title">{t("details.rename")}</h3>
        <RenameForm client={client} fileKey={e.Key} onDone={(key) => props.onChanged(t("details.renamed", { key }))} onError={setError} />
      </section>

      <section class="panel" aria-labelledby="copy-title">
        <h3 id="copy-title">{t("details.copy")}</h3>
        <form
          class="inline-form small"
          onSubmit={(ev) => {
            ev.preventDefault();
            void run(() => ctx.bucket(copyBucket.trim()).copy(props.bucket, e.Key, copyKey.trim()), t("details.copied", { key: `${copyBucket}/${copyKey}` }));
          }}
        >
          <label for="copy-bucket">{t("details.copyBucket")}</label>
          <input id="copy-bucket" required value={copyBucket} onInput={(ev) => setCopyBucket(ev.currentTarget.value)} />
          <label for="copy-key">{t("details.copyKey")}</label>
          <input id="copy-key" required value={copyKey} onInput={(ev) => setCopyKey(ev.currentTarget.value)} />
          <button type="submit">{t("details.copyButton")}</button>
        </form>
      </section>

      <section class="panel" aria-labelledby="class-title">
        <h3 id="class-title">{t("details.storageClass")}</h3>
        <form
          class="inline-form small"
          onSubmit={(ev) => {
            ev.preventDefault();
            void run(() => client.setStorageClass(e.Key, storageClass), t("details.classChanged", { cls: t(`class.${storageClass}`) }));
          }}
        >
          <label for="storage-class">{t("files.class")}</label>
          <select id="storage-class" value={storageClass} onChange={(ev) => setStorageClass(ev.currentTarget.value)}>
            {CLASSES.map((c) => (
              <option value={c}>{t(`class.${c}`)}</option>
            ))}
          </select>
          <button type="submit">{t("details.applyClass")}</button>
          {archival && (
            <button type="button" onClick={() => void run(() => client.restore(e.Key), t("details.restoring"))}>
              {t("details.restore")}
            </button>
          )}
        </form>
        <p class="hint">{t("details.classHint")}</p>
      </section>

      <section class="panel" aria-labelledby="meta-title">
        <h3 id="meta-title">{t("details.metadata")}</h3>
        <form onSubmit={saveMeta}>
          <div class="inline-form small">
            <label for="mime">{t("details.type")}</label>
            <input id="mime" required value={mime} onInput={(ev) => setMime(ev.currentTarget.value)} />
          </div>
          {meta.map(([k, v], i) => (
            <div class="inline-form small meta-row">
              <label for={`meta-k-${i}`}>{t("details.metaKey")}</label>
              <input id={`meta-k-${i}`} value={k} onInput={(ev) => setMeta(meta.map((m, j) => (j === i ? [ev.currentTarget.value, m[1]] : m)))} />
              <label for={`meta-v-${i}`}>{t("details.metaValue")}</label>
              <input id={`meta-v-${i}`} value={v} onInput={(ev) => setMeta(meta.map((m, j) => (j === i ? [m[0], ev.currentTarget.value] : m)))} />
              <button type="button" aria-label={t("details.metaRemove", { key: k })} onClick={() => setMeta(meta.filter((_, j) => j !== i))}>
                −
              </button>
            </div>
          ))}
          <div class="actions">
            <button type="button" onClick={() => setMeta([...meta, ["", ""]])}>
              {t("details.metaAdd")}
            </button>
            <button type="submit" class="primary">
              {t("details.metaSave")}
            </button>
          </div>
        </form>
      </section>

      {confirmDelete && (
        <Confirm
          title={t("files.deleteTitle", { n: 1 })}
          message={<p class="mono">{e.Key}</p>}
          action={t("common.delete")}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => {
            setConfirmDelete(false);
            void run(() => client.delete(e.Key), t("files.deletedN", { n: 1 }));
          }}
        />
      )}
    </Dialog>
  );
}
