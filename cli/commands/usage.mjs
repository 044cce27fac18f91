// @ts-check
// usage: the daily report (GetUFileReport) as terminal bar charts, with the quota left
// (GetUFileQuotaInfo) and the prices (GetUFileQuotaPrice) applied to the period.
import { emitJson, humanSize, say, table } from "../lib/output.mjs";
import { positiveInt } from "../lib/context.mjs";
import { CliError, EXIT } from "../lib/errors.mjs";

const DAY = 86400;
const GIB = 1024 ** 3;

/**
 * An amount of the report's GB (GiB) unit in human units; a value above zero never reads as zero (a few
 * bytes kept for minutes are "< 1 B·day", not "0" beside a full bar). @param {number} gb @param {string} [per]
 */
const gbAmount = (gb, per = "") => (gb > 0 && gb * GIB < 0.5 ? `< 1 B${per}` : `${humanSize(Math.round(gb * GIB))}${per}`);
/** The report's 万次 (10 000 requests) as a count. @param {number} wan */
const requests = (wan) => `${Math.round(wan * 10000).toLocaleString("en-US")} requests`;

/** The report's three series: field, title, how a value is shown. One table for charts and totals. */
const SERIES = [
  { field: "StorageVolume", title: "Storage", show: (/** @type {number} */ v) => gbAmount(v, "·day") },
  { field: "DownloadTraffic", title: "Download traffic", show: (/** @type {number} */ v) => gbAmount(v) },
  { field: "RequestCount", title: "Requests", show: (/** @type {number} */ v) => requests(v) },
];

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("usage")
    .description("daily storage, traffic and requests as charts, plus the quota left and what the period costs")
    .option("-d, --days <n>", "how many UTC days, ending today (at most 365)", positiveInt("--days"), 14)
    .option("--width <n>", "chart width in characters", positiveInt("--width"), 40)
    .action(async (opts) => {
      if (opts.days > 365) throw new CliError("--days must be at most 365", EXIT.usage);
      const { control } = context();
      const now = Math.floor(Date.now() / 1000);
      const start = Math.floor(now / DAY) * DAY - (opts.days - 1) * DAY;
      const [report, quota, storagePrice, trafficPrice, requestPrice] = await Promise.all([
        control.call({ Action: "GetUFileReport", StartTime: start, EndTime: now }),
        control.call({ Action: "GetUFileQuotaInfo", "QuotaType.0": "storage-volume", "QuotaType.1": "download-traffic", "QuotaType.2": "request-count" }),
        control.call({ Action: "GetUFileQuotaPrice", StorageVolume: 100 }),
        control.call({ Action: "GetUFileQuotaPrice", DownloadTraffic: 1 }),
        control.call({ Action: "GetUFileQuotaPrice", RequestCount: 1 }),
      ]);
      /** @type {{ Time: number, StorageVolume: number, DownloadTraffic: number, RequestCount: number }[]} */
      const days = report.DataSet ?? [];
      /** @type {Record<string, number>} */
      const totals = Object.fromEntries(SERIES.map((s) => [s.field, days.reduce((n, d) => n + Number(/** @type {any} */ (d)[s.field] ?? 0), 0)]));
      // Prices in fen: per 100 GB·day, per GB, per 万次 (10 000 requests).
      const prices = { StorageVolume: Number(storagePrice.Price) / 100, DownloadTraffic: Number(trafficPrice.Price), RequestCount: Number(requestPrice.Price) };
      const costFen = SERIES.reduce((n, s) => n + totals[s.field] * /** @type {any} */ (prices)[s.field], 0);
      const left = quota.DataSet?.[0];
      emitJson({ days, totals, quota: left ?? null, pricesFen: prices, costFen });

      for (const s of SERIES) {
        say(`${s.title}: ${s.show(totals[s.field])} in ${days.length} days`);
        say(chart(days.map((d) => ({ label: new Date(d.Time * 1000).toISOString().slice(5, 10), value: Number(/** @type {any} */ (d)[s.field] ?? 0) })), opts.width, s.show));
        say("");
      }
      if (left) {
        say(`Quota left (${left.Region}${left.Owe ? ", OWING: uploads and downloads are refused" : ""}):`);
        say(
          table([
            ["  storage", gbAmount(Number(left.Storage?.Left ?? 0), "·day")],
            ["  traffic", gbAmount(Number(left.DownloadFlow?.Left ?? 0))],
            ["  requests", requests(Number(left.RequestCnt?.Left ?? 0))],
          ]),
        );
      }
      say(`Prices: ${prices.StorageVolume} 分/GB·day, ${prices.DownloadTraffic} 分/GB, ${prices.RequestCount} 分/万次 -> this period: ${(costFen / 100).toFixed(2)} 元`);
    });
}

/**
 * Horizontal bars, one row per day, in eighths of a character.
 * @param {{ label: string, value: number }[]} rows @param {number} width @param {(v: number) => string} show
 */
function chart(rows, width, show) {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
  return rows
    .map((r) => {
      const eighths = max > 0 ? Math.round((r.value / max) * width * 8) : 0;
      const bar = "█".repeat(Math.floor(eighths / 8)) + blocks[eighths % 8];
      return `  ${r.label} ${bar.padEnd(width)} ${show(r.value)}`;
    })
    .join("\n");
}
