import { useEffect, useReducer, useState } from "preact/hooks";
import { useApp } from "../lib/context";
import { bytes } from "../lib/format";
import { useT } from "../lib/i18n";
import type { UploadItem } from "../lib/uploads";
import { Progress } from "../ui/widgets";

/** The upload queue, on every screen: per-file and total progress, 秒传 results, interrupted uploads. */
export function Uploads() {
  const { t } = useT();
  const { uploads } = useApp();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [open, setOpen] = useState(true);
  useEffect(() => uploads.subscribe(() => rerender(undefined)), [uploads]);
  if (uploads.items.length === 0) return null;
  const totals = uploads.totals;

  const resume = (item: UploadItem, file: File | undefined) => {
    if (file) uploads.add(item.bucket, [{ file, key: item.key }]);
  };

  return (
    <aside class="uploads" aria-labelledby="uploads-title">
      <div class="uploads-head">
        <h2 id="uploads-title">{t("uploads.title")}</h2>
        <span>{totals.active > 0 ? t("uploads.active", { n: totals.active }) : t("uploads.idle")}</span>
        <button type="button" onClick={() => uploads.clearFinished()}>
          {t("uploads.clear")}
        </button>
        <button type="button" aria-expanded={open} aria-controls="upload-list" onClick={() => setOpen(!open)}>
          {open ? t("uploads.hide") : t("uploads.show")}
        </button>
      </div>
      {totals.size > 0 && <Progress value={totals.progress} max={totals.size} label={t("uploads.total")} />}
      <ul id="upload-list" hidden={!open}>
        {uploads.items.map((item) => (
          <li class={`upload ${item.state}`} data-key={item.key}>
            <div class="upload-line">
              <span class="upload-name" title={`${item.bucket}/${item.key}`}>
                {item.key}
              </span>
              <span class="upload-size">{bytes(item.size)}</span>
              <span class="upload-state">{t(`uploads.state.${item.state}`)}</span>
            </div>
            {(item.state === "uploading" || item.state === "hashing") && (
              <Progress value={item.progress} max={item.size} label={t(item.state === "hashing" ? "uploads.hashingOf" : "uploads.progressOf", { name: item.key })} />
            )}
            {item.resumedParts ? <p class="hint">{t("uploads.resumed", { n: item.resumedParts })}</p> : null}
            {item.state === "instant" && <p class="hint">{t("uploads.instantHint")}</p>}
            {item.error && (
              <p class="error" role="alert">
                {item.error}
              </p>
            )}
            {item.state === "interrupted" && (
              <div class="resume">
                <label for={`resume-${item.id}`}>{t("uploads.resumeLabel")}</label>
                <input id={`resume-${item.id}`} type="file" onChange={(e) => resume(item, e.currentTarget.files?.[0])} />
                <button type="button" onClick={() => void uploads.discard(item)}>
                  {t("uploads.discard")}
                </button>
              </div>
            )}
            {(item.state === "failed" || item.state === "interrupted") && item.file && (
              <button type="button" onClick={() => uploads.add(item.bucket, [{ file: item.file!, key: item.key }])}>
                {t("uploads.retry")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
