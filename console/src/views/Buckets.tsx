import { useEffect, useState } from "preact/hooks";
import { control } from "../lib/api";
import { filesPath, useApp } from "../lib/context";
import { explain } from "../lib/explain";
import { bytes, count, dateTime } from "../lib/format";
import { useT } from "../lib/i18n";
import { fileHostFromDomain, parsePlace } from "../lib/session";
import { byNumber, byText, DataTable } from "../ui/DataTable";
import { Confirm, ErrorBox, Notice } from "../ui/widgets";

export interface BucketSet {
  BucketName: string;
  BucketId: string;
  Domain: { Src: string[] };
  Type: "public" | "private";
  Region: string;
  CreateTime: number;
  StoredBytes?: number;
  ObjectCount?: number;
}

const PAGE = 1000;

/** Every bucket of the project, following Offset/Limit until a short page. */
export async function allBuckets(ctx: ReturnType<typeof useApp>): Promise<BucketSet[]> {
  const out: BucketSet[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await control<{ DataSet: BucketSet[] }>(ctx.session, "DescribeBucket", { Offset: offset, Limit: PAGE });
    out.push(...page.DataSet);
    if (page.DataSet.length < PAGE) return out;
  }
}

/** A token session has no control plane: its buckets are the ones named at sign-in. */
function TokenPlaces() {
  const { t } = useT();
  const { session } = useApp();
  return (
    <section aria-labelledby="places-title">
      <h1 id="places-title">{t("buckets.title")}</h1>
      <Notice>{t("scope.tokenControl")}</Notice>
      <ul class="places">
        {session.places.map((p) => {
          const { bucket, prefix } = parsePlace(p);
          return (
            <li>
              <a href={"#" + filesPath(bucket, prefix)}>{bucket + (prefix ? "/" + prefix : "")}</a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function Buckets() {
  const ctx = useApp();
  if (ctx.session.kind === "token") return <TokenPlaces />;
  return <RootBuckets />;
}

function RootBuckets() {
  const { t, lang } = useT();
  const ctx = useApp();
  const [list, setList] = useState<BucketSet[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [type, setType] = useState<"private" | "public">("private");
  const [deleting, setDeleting] = useState<BucketSet | null>(null);

  const load = async () => {
    try {
      const rows = await allBuckets(ctx);
      setList(rows);
      const b = rows[0];
      if (b?.Domain.Src[0]) ctx.updateSession({ fileHost: fileHostFromDomain(b.BucketName, b.Domain.Src[0]) });
    } catch (e) {
      setError(explain(t, e));
    }
  };
  useEffect(() => void load(), []);

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

  const create = (e: Event) => {
    e.preventDefault();
    const bucket = name.trim();
    void act(async () => {
      await control(ctx.session, "CreateBucket", { BucketName: bucket, Type: type });
      setName("");
    }, t("buckets.created", { name: bucket }));
  };

  return (
    <section aria-labelledby="buckets-title">
      <h1 id="buckets-title">{t("buckets.title")}</h1>
      <form class="card inline-form" onSubmit={create} aria-labelledby="create-bucket-title">
        <h2 id="create-bucket-title">{t("buckets.create")}</h2>
        <div class="field">
          <label for="bucket-name">{t("buckets.name")}</label>
          <input id="bucket-name" required minLength={3} maxLength={63} value={name} onInput={(e) => setName(e.currentTarget.value.toLowerCase())} aria-describedby="bucket-name-hint" />
          <p class="hint" id="bucket-name-hint">
            {t("buckets.nameHint")}
          </p>
        </div>
        <fieldset class="field">
          <legend>{t("buckets.type")}</legend>
          {(["private", "public"] as const).map((v) => (
            <label class="radio">
              <input type="radio" name="bucket-type" value={v} checked={type === v} onChange={() => setType(v)} /> {t(`buckets.${v}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary">
          {t("buckets.createButton")}
        </button>
      </form>
      <ErrorBox message={error} />
      {status && <Notice kind="ok">{status}</Notice>}
      <DataTable
        caption={t("buckets.title")}
        rows={list}
        rowKey={(b) => b.BucketName}
        empty={{ title: t("buckets.none"), step: t("buckets.firstStep") }}
        columns={[
          { id: "name", label: t("buckets.name"), compare: byText((b) => b.BucketName), cell: (b) => <a href={"#" + filesPath(b.BucketName)}>{b.BucketName}</a> },
          {
            id: "type",
            label: t("buckets.type"),
            compare: byText((b) => b.Type),
            cell: (b) => (
              <select
                aria-label={t("buckets.typeOf", { name: b.BucketName })}
                value={b.Type}
                onChange={(e) => {
                  const next = e.currentTarget.value;
                  void act(() => control(ctx.session, "UpdateBucket", { BucketName: b.BucketName, Type: next }), t("buckets.typeChanged", { name: b.BucketName, type: t(`buckets.${next}`) }));
                }}
              >
                {/* Short names in the list (it must fit a phone); the create form above explains them. */}
                <option value="private">{t("buckets.privateShort")}</option>
                <option value="public">{t("buckets.publicShort")}</option>
              </select>
            ),
          },
          { id: "size", label: t("buckets.size"), cls: "num hide-narrow", compare: byNumber((b) => b.StoredBytes ?? 0), cell: (b) => bytes(b.StoredBytes ?? 0) },
          { id: "objects", label: t("buckets.objects"), cls: "num hide-narrow", compare: byNumber((b) => b.ObjectCount ?? 0), cell: (b) => count(b.ObjectCount ?? 0, lang) },
          { id: "region", label: t("buckets.region"), cls: "hide-narrow", cell: (b) => b.Region },
          { id: "created", label: t("buckets.createdAt"), cls: "hide-narrow nowrap", compare: byNumber((b) => b.CreateTime), cell: (b) => dateTime(b.CreateTime, lang) },
        ]}
        actions={(b) => (
          <>
            {/* On a phone the short label, so that the row's actions fit beside the name. */}
            <a href={`#/rules/${encodeURIComponent(b.BucketName)}`} aria-label={t("rules.linkNamed", { name: b.BucketName })}>
              <span class="hide-narrow">{t("rules.link")}</span>
              <span class="narrow-only">{t("rules.linkShort")}</span>
            </a>
            <button type="button" class="danger" onClick={() => setDeleting(b)} aria-label={t("buckets.deleteNamed", { name: b.BucketName })}>
              {t("common.delete")}
            </button>
          </>
        )}
      />
      {deleting && (
        <Confirm
          title={t("buckets.deleteTitle", { name: deleting.BucketName })}
          message={<p>{t("buckets.deleteMessage")}</p>}
          action={t("common.delete")}
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            const b = deleting;
            setDeleting(null);
            void act(() => control(ctx.session, "DeleteBucket", { BucketName: b.BucketName }), t("buckets.deleted", { name: b.BucketName }));
          }}
        />
      )}
    </section>
  );
}
