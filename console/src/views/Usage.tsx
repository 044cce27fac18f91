import { useEffect, useState } from "preact/hooks";
import { control } from "../lib/api";
import { useApp } from "../lib/context";
import { explain } from "../lib/explain";
import { bytes, count, day, GB } from "../lib/format";
import { useT } from "../lib/i18n";
import { DailyChart } from "../ui/Chart";
import { byNumber, byText, DataTable } from "../ui/DataTable";
import { ErrorBox, Notice } from "../ui/widgets";
import { allBuckets, type BucketSet } from "./Buckets";

interface ReportDay {
  Time: number;
  StorageVolume: number;
  DownloadTraffic: number;
  RequestCount: number;
}
interface QuotaInfo {
  Region: string;
  Owe: number;
  Storage: { Left: number };
  DownloadFlow: { Left: number };
  RequestCnt: { Left: number };
}

const PERIODS = [7, 30, 90];
/** Each report series: its field, title, the API's unit, colour, and how one API unit reads in bytes or requests. */
const SERIES = [
  ["StorageVolume", "usage.storage", "usage.unitStorage", "#1f6feb", "bytes", GB],
  ["DownloadTraffic", "usage.traffic", "usage.unitTraffic", "#8250df", "bytes", GB],
  ["RequestCount", "usage.requests", "usage.unitRequests", "#1a7f37", "count", 10_000],
] as const;

/** GetUFileReport charts, quota left, the price calculator, and size and count per bucket. */
export function Usage() {
  const { t, lang } = useT();
  const ctx = useApp();
  const [days, setDays] = useState(7);
  const [report, setReport] = useState<ReportDay[] | null>(null);
  const [quota, setQuota] = useState<QuotaInfo[] | null>(null);
  const [buckets, setBuckets] = useState<BucketSet[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [calc, setCalc] = useState({ StorageVolume: 200, DownloadTraffic: 5, RequestCount: 2 });
  const [price, setPrice] = useState<number | null>(null);
  const [priceError, setPriceError] = useState<string | null>(null);
  const root = ctx.session.kind === "root";

  useEffect(() => {
    if (!root) return;
    const now = Math.floor(Date.now() / 1000);
    const start = Math.floor(now / 86400) * 86400 - (days - 1) * 86400;
    setReport(null);
    control<{ DataSet: ReportDay[] }>(ctx.session, "GetUFileReport", { StartTime: start, EndTime: now }).then(
      (r) => setReport(r.DataSet),
      (e) => setError(explain(t, e)),
    );
  }, [days]);

  useEffect(() => {
    if (!root) return;
    control<{ DataSet: QuotaInfo[] }>(ctx.session, "GetUFileQuotaInfo", { QuotaType: ["storage-volume", "download-traffic", "request-count"] }).then(
      (r) => setQuota(r.DataSet),
      (e) => setError(explain(t, e)),
    );
    allBuckets(ctx).then(setBuckets, (e) => {
      setError(explain(t, e));
      setBuckets([]);
    });
  }, []);

  if (!root) {
    return (
      <section>
        <h1>{t("usage.title")}</h1>
        <Notice>{t("scope.tokenControl")}</Notice>
      </section>
    );
  }

  const price_ = async (e: Event) => {
    e.preventDefault();
    setPriceError(null);
    setPrice(null);
    try {
      setPrice((await control<{ Price: number }>(ctx.session, "GetUFileQuotaPrice", calc)).Price);
    } catch (err) {
      setPriceError(explain(t, err));
    }
  };

  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">{t("usage.title")}</h1>
      <ErrorBox message={error} />
      <div class="period" role="group" aria-label={t("usage.period")}>
        {PERIODS.map((n) => (
          <button type="button" aria-pressed={days === n} onClick={() => setDays(n)}>
            {t("usage.days", { n })}
          </button>
        ))}
      </div>
      {report === null ? (
        <p aria-busy="true">{t("common.loading")}</p>
      ) : (
        <div class="charts">
          {SERIES.map(([field, label, unit, color, kind, scale]) => {
            const human = (apiValue: number) => {
              const v = apiValue * scale;
              if (kind === "count") return t("usage.nRequests", { n: count(v, lang) });
              return field === "StorageVolume" ? t("usage.sizeDays", { size: bytes(v) }) : bytes(v);
            };
            return (
              <figure class="card">
                <figcaption>
                  <h2>{t(label)}</h2>
                  <span class="hint" data-testid={`total-${field}`}>
                    {t("usage.total")}: {human(report.reduce((n, d) => n + d[field], 0))}
                  </span>
                </figcaption>
                <DailyChart label={t(label)} kind={kind} color={color} times={report.map((d) => d.Time)} values={report.map((d) => d[field] * scale)} formatDay={(s) => day(s, lang)} />
                <details>
                  <summary>{t("usage.table")}</summary>
                  <DataTable
                    caption={t(label)}
                    rows={report}
                    rowKey={(day) => day.Time}
                    empty={{ title: t("usage.none"), step: t("usage.firstStep") }}
                    columns={[
                      { id: "day", label: t("usage.day"), compare: byNumber((d) => d.Time), cell: (d) => day(d.Time, lang) },
                      { id: "value", label: t(label), cls: "num", compare: byNumber((d) => d[field]), cell: (d) => human(d[field]) },
                      { id: "api", label: t("usage.apiUnit", { unit: t(unit) }), cls: "num api", cell: (d) => d[field] },
                    ]}
                  />
                </details>
              </figure>
            );
          })}
        </div>
      )}

      <div class="grid-2">
        <section class="card" aria-labelledby="quota-title">
          <h2 id="quota-title">{t("usage.quota")}</h2>
          {quota?.map((q) => (
            <>
              {q.Owe === 1 && <Notice kind="warn">{t("usage.owe")}</Notice>}
              <dl class="props">
                <dt>{t("usage.region")}</dt>
                <dd>{q.Region}</dd>
                <dt>{t("usage.storage")}</dt>
                <dd>
                  {bytes(q.Storage.Left * GB)}
                </dd>
                <dt>{t("usage.traffic")}</dt>
                <dd>
                  {bytes(q.DownloadFlow.Left * GB)}
                </dd>
                <dt>{t("usage.requests")}</dt>
                <dd>
                  {t("usage.nRequests", { n: count(q.RequestCnt.Left * 10_000, lang) })}
                </dd>
              </dl>
            </>
          ))}
        </section>
        <section class="card" aria-labelledby="price-title">
          <h2 id="price-title">{t("usage.price")}</h2>
          <form onSubmit={price_}>
            {(["StorageVolume", "DownloadTraffic", "RequestCount"] as const).map((f) => (
              <div class="field">
                <label for={`calc-${f}`}>{t(`usage.calc.${f}`)}</label>
                <input id={`calc-${f}`} type="number" min={0} step={f === "StorageVolume" ? 100 : 1} value={calc[f]} onInput={(e) => setCalc({ ...calc, [f]: Number(e.currentTarget.value) })} />
              </div>
            ))}
            <p class="hint">{t("usage.calcHint")}</p>
            <button type="submit" class="primary">
              {t("usage.calculate")}
            </button>
          </form>
          <ErrorBox message={priceError} />
          {price !== null && (
            <p class="price" role="status">
              {t("usage.priceIs", { fen: price, yuan: (price / 100).toFixed(2) })}
            </p>
          )}
        </section>
      </div>

      <section class="card" aria-labelledby="per-bucket-title">
        <h2 id="per-bucket-title">{t("usage.perBucket")}</h2>
        <DataTable
          caption={t("usage.perBucket")}
          rows={buckets}
          rowKey={(b) => b.BucketName}
          empty={{ title: t("buckets.none"), step: t("usage.perBucketFirstStep") }}
          columns={[
            { id: "name", label: t("buckets.name"), compare: byText((b) => b.BucketName), cell: (b) => b.BucketName },
            { id: "size", label: t("buckets.size"), cls: "num", compare: byNumber((b) => b.StoredBytes ?? 0), cell: (b) => bytes(b.StoredBytes ?? 0) },
            { id: "objects", label: t("buckets.objects"), cls: "num", compare: byNumber((b) => b.ObjectCount ?? 0), cell: (b) => count(b.ObjectCount ?? 0, lang) },
          ]}
        />
      </section>
    </section>
  );
}
