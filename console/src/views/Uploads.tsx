import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import { useApp } from "../lib/context";
import { bytes, duration } from "../lib/format";
import { useT } from "../lib/i18n";
import { speed, type UploadItem } from "../lib/uploads";
import { Progress } from "../ui/widgets";

const NEEDS_USER = new Set(["failed", "interrupted"]);

/**
 * The upload tray: a band below the content (it takes its own room, never covers the page) with per-file
 * and total progress, rate and time left, 秒传 results and interrupted uploads. It folds to one line when
 * nothing is being sent, and finished uploads are dropped when the user leaves the page; failed and
 * interrupted ones stay until the user acts on them.
 */
export function Uploads() {
  const { t } = useT();
  const { uploads } = useApp();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [open, setOpen] = useState(true);
  useEffect(() => uploads.subscribe(() => rerender(undefined)), [uploads]);
  useEffect(() => {
    const leave = () => uploads.clearDone();
    addEventListener("hashchange", leave);
    return () => removeEventListener("hashchange", leave);
  }, [uploads]);
  const totals = uploads.totals;
  const attention = uploads.items.some((i) => NEEDS_USER.has(i.state));
  // Unfold when sending starts or something needs the user; fold when all is done.
  const busy = totals.active > 0 || attention;
  const wasBusy = useRef(false);
  useEffect(() => {
    if (busy !== wasBusy.current) setOpen(busy);
    wasBusy.current = busy;
  }, [busy]);
  if (uploads.items.length === 0) return null;
  const rates = uploads.items.map((i) => speed(i)).filter((s) => s !== null);
  const totalRate = rates.reduce((n, s) => n + s.rate, 0);
  const rateText = (rate: number, left: number) => t("uploads.rate", { rate: bytes(rate), left: duration(left) });

  const resume = (item: UploadItem, file: File | undefined) => {
    if (file) uploads.add(item.bucket, [{ file, key: item.key }]);
  };

  return (
    <aside class={`uploads${open ? " open" : ""}`} aria-labelledby="uploads-title">
      <div class="uploads-head">
        {/* Title and summary share one block, so on a phone the summary goes under the title and the buttons keep their row. */}
        <div class="uploads-heading">
          <h2 id="uploads-title">{t("uploads.title")}</h2>
          <span class="uploads-summary">
            {totals.active > 0 ? t("uploads.active", { n: totals.active }) : attention ? t("uploads.attention") : t("uploads.idle", { n: uploads.items.length })}
          </span>
        </div>
        <button type="button" onClick={() => uploads.clearFinished()}>
          {t("uploads.clear")}
        </button>
        <button type="button" aria-expanded={open} aria-controls="upload-list" onClick={() => setOpen(!open)}>
          {open ? t("uploads.hide") : t("uploads.show")}
        </button>
      </div>
      {totals.active > 0 && (
        <Progress
          value={totals.progress}
          max={totals.size}
          label={t("uploads.total")}
          detail={totalRate > 0 ? rateText(totalRate, (totals.size - totals.progress) / totalRate) : undefined}
        />
      )}
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
              <Progress
                value={item.progress}
                max={item.size}
                label={t(item.state === "hashing" ? "uploads.hashingOf" : "uploads.progressOf", { name: item.key })}
                detail={((s) => (s ? rateText(s.rate, s.left) : undefined))(speed(item))}
              />
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
