import { useEffect, useState } from "preact/hooks";
import { control } from "../lib/api";
import { useApp } from "../lib/context";
import { explain } from "../lib/explain";
import { useT } from "../lib/i18n";
import { bytes, count, day, GB } from "../lib/format";
import { byNumber, byText, DataTable } from "../ui/DataTable";
import { ErrorBox, Notice } from "../ui/widgets";

/**
 * A bucket's rules (issue 22): lifecycle rules (Create/Describe/Update/DeleteUFileLifeCycle), the
 * referer rule (SetUFileReferer, read back from DescribeBucket), CORS rules (edgefile's SetUFileCORS)
 * and the bucket's daily usage (GetUFileDailyReport with BucketName). Refusals are explained as on
 * every other screen, with the API's code.
 */

interface LifeCycleItem {
  LifeCycleId: string;
  LifeCycleName: string;
  Prefix: string;
  Status: "Enabled" | "Disabled";
  Days: number;
  IADays: number;
  ArchivalDays: number;
}

interface RefererSet {
  RefererStatus: "on" | "off";
  RefererType?: 1 | 2;
  Referers?: string[];
  RefererAllowNull?: boolean;
}

interface DailyItem {
  Date: number;
  /** GB stored that day (day average) by class: STANDARD, IA, ARCHIVE/COLD. */
  Storage: number;
  IaStorage: number;
  AcStorage: number;
  ApiTimes: number;
  Flow: number;
  LifecycleDeletes?: number;
  LifecycleTransitions?: number;
}

const DAYS = 14;
const DAY = 86_400;

export function Rules(props: { bucket: string }) {
  const { t, lang } = useT();
  const ctx = useApp();
  const bucket = props.bucket;
  const [rules, setRules] = useState<LifeCycleItem[] | null>(null);
  const [referer, setReferer] = useState<RefererSet | null>(null);
  const [cors, setCors] = useState("");
  const [daily, setDaily] = useState<DailyItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  // New lifecycle rule.
  const [prefix, setPrefix] = useState("");
  const [iaDays, setIaDays] = useState("0");
  const [archiveDays, setArchiveDays] = useState("0");
  const [deleteDays, setDeleteDays] = useState("0");
  // Referer form.
  const [refType, setRefType] = useState<"1" | "2">("2");
  const [referers, setReferers] = useState("");
  const [allowEmpty, setAllowEmpty] = useState(true);

  const load = async () => {
    try {
      const [lc, described] = await Promise.all([
        control<{ DateSet: LifeCycleItem[] }>(ctx.session, "DescribeUFileLifeCycle", { BucketName: bucket }),
        control<{ DataSet: { Referer?: RefererSet; CORSRules?: unknown[] }[] }>(ctx.session, "DescribeBucket", { BucketName: bucket }),
      ]);
      setRules(lc.DateSet);
      const set = described.DataSet[0];
      const ref = set?.Referer ?? { RefererStatus: "off" };
      setReferer(ref);
      if (ref.RefererStatus === "on") {
        setRefType(ref.RefererType === 1 ? "1" : "2");
        setReferers((ref.Referers ?? []).join("\n"));
        setAllowEmpty(ref.RefererAllowNull !== false);
      }
      setCors(set?.CORSRules?.length ? JSON.stringify(set.CORSRules, null, 2) : "");
      const end = Math.floor(Date.now() / 1000);
      const report = await control<{ DataSet: { Daily: DailyItem[] }[] }>(ctx.session, "GetUFileDailyReport", { BucketName: bucket, StartTime: end - (DAYS - 1) * DAY, EndTime: end });
      setDaily(report.DataSet[0]?.Daily ?? []);
    } catch (e) {
      setError(explain(t, e));
    }
  };
  useEffect(() => void load(), [bucket]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    setStatus(null);
    try {
      await what();
      setStatus(done);
      await load();
    } catch (e) {
      setError(explain(t, e));
    }
  };

  const addRule = (e: Event) => {
    e.preventDefault();
    void act(
      () =>
        control(ctx.session, "CreateUFileLifeCycle", {
          BucketName: bucket,
          LifeCycleName: prefix || "*",
          Prefix: prefix || "*",
          Status: "Enabled",
          IADays: iaDays,
          ArchivalDays: archiveDays,
          Days: deleteDays,
        }),
      t("rules.lifecycleAdded", { prefix: prefix || "*" }),
    );
  };

  const toggle = (r: LifeCycleItem) =>
    act(
      () =>
        control(ctx.session, "UpdateUFileLifeCycle", {
          BucketName: bucket,
          LifeCycleId: r.LifeCycleId,
          LifeCycleName: r.LifeCycleName,
          Prefix: r.Prefix,
          Status: r.Status === "Enabled" ? "Disabled" : "Enabled",
          Days: r.Days,
          IADays: r.IADays,
          ArchivalDays: r.ArchivalDays,
        }),
      t("rules.lifecycleChanged", { prefix: r.Prefix }),
    );

  const saveReferer = (e: Event) => {
    e.preventDefault();
    const list = referers.split("\n").map((s) => s.trim()).filter(Boolean);
    const params: Record<string, string> = { BucketName: bucket, RefererStatus: "on", RefererType: refType, RefererAllowNull: allowEmpty ? "true" : "false" };
    list.forEach((r, i) => (params[`Referers.${i}`] = r));
    void act(() => control(ctx.session, "SetUFileReferer", params), t("rules.refererSaved"));
  };

  const saveCors = (e: Event) => {
    e.preventDefault();
    void act(() => control(ctx.session, "SetUFileCORS", { BucketName: bucket, CORSRules: cors.trim() || "[]" }), t("rules.corsSaved"));
  };

  return (
    <section aria-labelledby="rules-title">
      <h1 id="rules-title">{t("rules.title", { bucket })}</h1>
      <p>
        <a href="#/buckets">{t("rules.back")}</a>
      </p>
      <ErrorBox message={error} />
      {status && <Notice kind="ok">{status}</Notice>}

      <div class="card" aria-labelledby="lifecycle-title">
        <h2 id="lifecycle-title">{t("rules.lifecycle")}</h2>
        <p class="hint">{t("rules.lifecycleHint")}</p>
        <DataTable
          caption={t("rules.lifecycle")}
          rows={rules}
          rowKey={(r) => r.LifeCycleId}
          empty={{ title: t("rules.lifecycleNone"), step: t("rules.lifecycleFirstStep") }}
          columns={[
            { id: "prefix", label: t("rules.prefixColumn"), compare: byText((r) => r.Prefix), cell: (r) => r.Prefix },
            {
              id: "status",
              label: t("rules.status"),
              compare: byText((r) => r.Status),
              cell: (r) => (
                <button type="button" onClick={() => void toggle(r)} aria-label={t("rules.toggle", { prefix: r.Prefix })}>
                  {r.Status === "Enabled" ? t("rules.enabled") : t("rules.disabled")}
                </button>
              ),
            },
            { id: "ia", label: t("rules.iaDays"), cls: "num", compare: byNumber((r) => r.IADays), cell: (r) => r.IADays || "—" },
            { id: "archive", label: t("rules.archiveDays"), cls: "num", compare: byNumber((r) => r.ArchivalDays), cell: (r) => r.ArchivalDays || "—" },
            { id: "delete", label: t("rules.deleteDays"), cls: "num", compare: byNumber((r) => r.Days), cell: (r) => r.Days || "—" },
          ]}
          actions={(r) => (
            <button
              type="button"
              class="danger"
              aria-label={t("rules.deleteRule", { prefix: r.Prefix })}
              onClick={() => void act(() => control(ctx.session, "DeleteUFileLifeCycle", { BucketName: bucket, LifeCycleId: r.LifeCycleId }), t("rules.lifecycleDeleted", { prefix: r.Prefix }))}
            >
              {t("common.delete")}
            </button>
          )}
        />
        <form class="inline-form" onSubmit={addRule} aria-label={t("rules.addRule")}>
          <div class="field">
            <label for="lc-prefix">{t("rules.prefix")}</label>
            <input id="lc-prefix" value={prefix} placeholder="*" onInput={(e) => setPrefix(e.currentTarget.value)} />
          </div>
          {(
            [
              ["lc-ia", "rules.iaDays", iaDays, setIaDays],
              ["lc-archive", "rules.archiveDays", archiveDays, setArchiveDays],
              ["lc-delete", "rules.deleteDays", deleteDays, setDeleteDays],
            ] as const
          ).map(([id, label, value, set]) => (
            <div class="field">
              <label for={id}>{t(label)}</label>
              <input id={id} type="number" min={0} max={36500} value={value} onInput={(e) => set(e.currentTarget.value)} />
            </div>
          ))}
          <button type="submit" class="primary">
            {t("rules.addRule")}
          </button>
        </form>
      </div>

      <form class="card" onSubmit={saveReferer} aria-labelledby="referer-title">
        <h2 id="referer-title">{t("rules.referer")}</h2>
        <p class="hint">{t("rules.refererHint")}</p>
        <p>{referer?.RefererStatus === "on" ? t("rules.refererOn") : t("rules.refererOff")}</p>
        <fieldset class="field">
          <legend>{t("rules.refererType")}</legend>
          {(["2", "1"] as const).map((v) => (
            <label class="radio">
              <input type="radio" name="referer-type" value={v} checked={refType === v} onChange={() => setRefType(v)} /> {t(v === "2" ? "rules.whitelist" : "rules.blacklist")}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="referers">{t("rules.referers")}</label>
          <textarea id="referers" rows={3} value={referers} onInput={(e) => setReferers(e.currentTarget.value)} />
        </div>
        <label class="radio">
          <input type="checkbox" checked={allowEmpty} onChange={(e) => setAllowEmpty(e.currentTarget.checked)} /> {t("rules.allowEmpty")}
        </label>
        <div>
          <button type="submit" class="primary">
            {t("rules.saveReferer")}
          </button>{" "}
          <button type="button" onClick={() => void act(() => control(ctx.session, "SetUFileReferer", { BucketName: bucket, RefererStatus: "off" }), t("rules.refererRemoved"))}>
            {t("rules.removeReferer")}
          </button>
        </div>
      </form>

      <form class="card" onSubmit={saveCors} aria-labelledby="cors-title">
        <h2 id="cors-title">{t("rules.cors")}</h2>
        <p class="hint">{t("rules.corsHint")}</p>
        <div class="field">
          <label for="cors-rules">{t("rules.corsRules")}</label>
          <textarea id="cors-rules" rows={8} value={cors} placeholder='[{"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"]}]' onInput={(e) => setCors(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">
          {t("rules.saveCors")}
        </button>
      </form>

      <div class="card" aria-labelledby="daily-title">
        <h2 id="daily-title">{t("rules.daily", { n: DAYS })}</h2>
        <DataTable
          caption={t("rules.daily", { n: DAYS })}
          rows={daily}
          rowKey={(d) => d.Date}
          empty={{ title: t("rules.dailyNone"), step: t("rules.dailyFirstStep") }}
          columns={[
            { id: "day", label: t("usage.day"), compare: byNumber((d) => d.Date), cell: (d) => day(d.Date, lang) },
            { id: "standard", label: t("rules.storageDay"), cls: "num", compare: byNumber((d) => d.Storage), cell: (d) => bytes(d.Storage * GB) },
            { id: "ia", label: t("rules.iaDay"), cls: "num", compare: byNumber((d) => d.IaStorage), cell: (d) => bytes(d.IaStorage * GB) },
            { id: "archive", label: t("rules.archiveDay"), cls: "num", compare: byNumber((d) => d.AcStorage), cell: (d) => bytes(d.AcStorage * GB) },
            { id: "requests", label: t("usage.requests"), cls: "num", compare: byNumber((d) => d.ApiTimes), cell: (d) => count(d.ApiTimes * 10_000, lang) },
            { id: "flow", label: t("rules.flow"), cls: "num", compare: byNumber((d) => d.Flow), cell: (d) => bytes(d.Flow * GB) },
            { id: "expired", label: t("rules.expired"), cls: "num", compare: byNumber((d) => d.LifecycleDeletes ?? 0), cell: (d) => count(d.LifecycleDeletes ?? 0, lang) },
            { id: "moved", label: t("rules.moved"), cls: "num", compare: byNumber((d) => d.LifecycleTransitions ?? 0), cell: (d) => count(d.LifecycleTransitions ?? 0, lang) },
          ]}
        />
      </div>
    </section>
  );
}
