import { useEffect, useState } from "preact/hooks";
import { control } from "../lib/api";
import { useApp } from "../lib/context";
import { explain } from "../lib/explain";
import { parseStamp, stamp } from "../lib/format";
import { useT } from "../lib/i18n";
import { byNumber, byText, DataTable } from "../ui/DataTable";
import { Confirm, CopyButton, Dialog, ErrorBox, Notice } from "../ui/widgets";
import { allBuckets, type BucketSet } from "./Buckets";

interface TokenSet {
  TokenId: string;
  TokenName: string;
  PublicKey: string;
  PrivateKey: string;
  AllowedOps: string[];
  AllowedPrefixes: string[];
  AllowedBuckets: string[];
  ExpireTime: number;
  BlackIPList?: string[];
  WhiteIPList?: string[];
}

const OPS = ["TOKEN_ALLOW_READ", "TOKEN_ALLOW_WRITE", "TOKEN_ALLOW_DELETE", "TOKEN_ALLOW_LIST", "TOKEN_ALLOW_IOP", "TOKEN_ALLOW_DP", "TOKEN_DENY_UPDATE"];
const EXPIRY_PRESETS = [3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400];

/** A scope as the form edits it. */
interface Scope {
  name: string;
  ops: string[];
  allBuckets: boolean;
  buckets: string[];
  prefixes: string;
  expires: string; // stamp(): "YYYY-MM-DD HH:MM", local time
  white: string;
  black: string;
}

const expired = (tk: TokenSet) => tk.ExpireTime * 1000 < Date.now();

const lines = (s: string) => s.split(/[\n,]+/).map((x) => x.trim()).filter(Boolean);

const scopeOf = (tk: TokenSet): Scope => ({
  name: tk.TokenName,
  ops: tk.AllowedOps.filter((o) => o !== "TOKEN_ALLOW_NONE"),
  allBuckets: tk.AllowedBuckets.includes("*"),
  buckets: tk.AllowedBuckets.filter((b) => b !== "*"),
  prefixes: tk.AllowedPrefixes.join("\n"),
  expires: stamp(tk.ExpireTime),
  white: (tk.WhiteIPList ?? []).join("\n"),
  black: (tk.BlackIPList ?? []).join("\n"),
});

const emptyScope = (): Scope => ({
  name: "",
  // Nothing ticked: like the API's own default, a new token grants nothing until the user chooses.
  ops: [],
  allBuckets: false,
  buckets: [],
  prefixes: "",
  expires: stamp(Math.floor(Date.now() / 1000) + 86400),
  white: "",
  black: "",
});

/** The API parameters of a scope. Empty lists are sent as one empty entry: the service then applies its default. */
function scopeParams(s: Scope) {
  const list = (xs: string[]) => (xs.length ? xs : [""]);
  return {
    TokenName: s.name.trim(),
    AllowedOps: s.ops.length ? s.ops : ["TOKEN_ALLOW_NONE"],
    AllowedBuckets: s.allBuckets ? ["*"] : list(s.buckets),
    AllowedPrefixes: list(lines(s.prefixes)),
    ExpireTime: parseStamp(s.expires)!,
    WhiteIPList: list(lines(s.white)),
    BlackIPList: list(lines(s.black)),
  };
}

/** The scope builder: operations, buckets, prefixes, expiry, IP lists. */
function ScopeForm(props: { scope: Scope; buckets: BucketSet[]; submit: string; onSubmit: (s: Scope) => void; idPrefix: string }) {
  const { t } = useT();
  const [s, setS] = useState(props.scope);
  const [invalid, setInvalid] = useState<string | null>(null);
  const id = (x: string) => `${props.idPrefix}-${x}`;
  // An edit answers the last refusal ("choose a bucket"): it goes until the next submit.
  const set = (patch: Partial<Scope>) => {
    setS({ ...s, ...patch });
    setInvalid(null);
  };
  return (
    <form
      class="scope-form"
      onSubmit={(e) => {
        e.preventDefault();
        // The API reads an empty bucket list as "all buckets": make that choice explicit.
        if (!s.allBuckets && s.buckets.length === 0) return setInvalid(t("tokens.needBucket"));
        if (parseStamp(s.expires) === null) return setInvalid(t("tokens.badExpiry"));
        setInvalid(null);
        props.onSubmit(s);
      }}
    >
      <div class="field">
        <label for={id("name")}>{t("tokens.name")}</label>
        <input id={id("name")} required maxLength={100} value={s.name} onInput={(e) => set({ name: e.currentTarget.value })} />
      </div>
      <fieldset class="field">
        <legend>{t("tokens.ops")}</legend>
        {OPS.map((op) => (
          <label class="radio">
            <input type="checkbox" checked={s.ops.includes(op)} onChange={(e) => set({ ops: e.currentTarget.checked ? [...s.ops, op] : s.ops.filter((o) => o !== op) })} />{" "}
            {t(`op.${op}`)}
          </label>
        ))}
      </fieldset>
      <fieldset class="field">
        <legend>{t("tokens.buckets")}</legend>
        <label class="radio">
          <input type="checkbox" checked={s.allBuckets} onChange={(e) => set({ allBuckets: e.currentTarget.checked })} /> {t("tokens.allBuckets")}
        </label>
        {!s.allBuckets &&
          props.buckets.map((b) => (
            <label class="radio">
              <input
                type="checkbox"
                checked={s.buckets.includes(b.BucketName)}
                onChange={(e) => set({ buckets: e.currentTarget.checked ? [...s.buckets, b.BucketName] : s.buckets.filter((x) => x !== b.BucketName) })}
              />{" "}
              {b.BucketName}
            </label>
          ))}
      </fieldset>
      <div class="field">
        <label for={id("prefixes")}>{t("tokens.prefixes")}</label>
        <textarea id={id("prefixes")} rows={3} value={s.prefixes} onInput={(e) => set({ prefixes: e.currentTarget.value })} aria-describedby={id("prefixes-hint")} />
        <p class="hint" id={id("prefixes-hint")}>
          {t("tokens.prefixesHint")}
        </p>
      </div>
      <div class="field">
        <label for={id("expires")}>{t("tokens.expires")}</label>
        <input
          id={id("expires")}
          required
          inputMode="numeric"
          placeholder="YYYY-MM-DD HH:MM"
          value={s.expires}
          onInput={(e) => set({ expires: e.currentTarget.value })}
          aria-describedby={id("expires-hint")}
        />
        <p class="hint" id={id("expires-hint")}>
          {t("tokens.expiresHint")}
        </p>
        <div class="presets" role="group" aria-label={t("tokens.expiresPresets")}>
          {EXPIRY_PRESETS.map((sec) => (
            <button type="button" onClick={() => set({ expires: stamp(Math.floor(Date.now() / 1000) + sec) })}>
              {t(`tokens.in.${sec}`)}
            </button>
          ))}
        </div>
      </div>
      <div class="field two">
        <div>
          <label for={id("white")}>{t("tokens.white")}</label>
          <textarea id={id("white")} rows={2} value={s.white} onInput={(e) => set({ white: e.currentTarget.value })} />
        </div>
        <div>
          <label for={id("black")}>{t("tokens.black")}</label>
          <textarea id={id("black")} rows={2} value={s.black} onInput={(e) => set({ black: e.currentTarget.value })} />
        </div>
      </div>
      <p class="hint">{t("tokens.ipHint")}</p>
      <ErrorBox message={invalid} />
      <button type="submit" class="primary">
        {props.submit}
      </button>
    </form>
  );
}

export function Tokens() {
  const { t } = useT();
  const ctx = useApp();
  const [tokens, setTokens] = useState<TokenSet[] | null>(null);
  const [buckets, setBuckets] = useState<BucketSet[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [created, setCreated] = useState<TokenSet | null>(null);
  const [editing, setEditing] = useState<TokenSet | null>(null);
  const [deleting, setDeleting] = useState<TokenSet | null>(null);
  const [formKey, setFormKey] = useState(0);

  const load = async () => {
    try {
      const res = await control<{ DataSet: TokenSet[] }>(ctx.session, "DescribeUFileToken", { Display: 0 });
      setTokens(res.DataSet);
    } catch (e) {
      setError(explain(t, e));
    }
  };
  useEffect(() => {
    if (ctx.session.kind !== "root") return;
    void load();
    allBuckets(ctx).then(setBuckets, () => undefined);
  }, []);

  if (ctx.session.kind !== "root") {
    return (
      <section>
        <h1>{t("tokens.title")}</h1>
        <Notice>{t("scope.tokenControl")}</Notice>
      </section>
    );
  }

  const act = async (what: () => Promise<unknown>, message: string) => {
    setError(null);
    setStatus(null);
    try {
      await what();
      setStatus(message);
      await load();
      return true;
    } catch (e) {
      setError(explain(t, e));
      return false;
    }
  };

  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">{t("tokens.title")}</h1>
      <p class="lead">{t("tokens.lead")}</p>
      <ErrorBox message={error} />
      {status && <Notice kind="ok">{status}</Notice>}
      <section class="card" aria-labelledby="create-token-title">
        <h2 id="create-token-title">{t("tokens.create")}</h2>
        <ScopeForm
          key={formKey}
          idPrefix="new"
          scope={emptyScope()}
          buckets={buckets}
          submit={t("tokens.createButton")}
          onSubmit={(s) =>
            void act(async () => {
              const res = await control<{ UFileTokenSet: TokenSet }>(ctx.session, "CreateUFileToken", scopeParams(s));
              setCreated(res.UFileTokenSet);
              setFormKey(formKey + 1);
            }, t("tokens.created", { name: s.name }))
          }
        />
      </section>
      <DataTable
        caption={t("tokens.title")}
        rows={tokens}
        rowKey={(tk) => tk.TokenId}
        empty={{ title: t("tokens.none"), step: t("tokens.firstStep") }}
        columns={[
          {
            id: "name",
            label: t("tokens.name"),
            compare: byText((tk) => tk.TokenName),
            cell: (tk) => (
              <>
                {tk.TokenName}
                <div class="mono hint">{tk.PublicKey}</div>
              </>
            ),
          },
          { id: "ops", label: t("tokens.ops"), cls: "hide-narrow", cell: (tk) => tk.AllowedOps.map((o) => t(`op.${o}`)).join(", ") },
          { id: "buckets", label: t("tokens.buckets"), cls: "hide-narrow", cell: (tk) => tk.AllowedBuckets.join(", ") },
          { id: "prefixes", label: t("tokens.prefixes"), cls: "hide-narrow", cell: (tk) => tk.AllowedPrefixes.join(", ") },
          {
            id: "expires",
            label: t("tokens.expires"),
            compare: byNumber((tk) => tk.ExpireTime),
            cell: (tk) => (
              <span class={expired(tk) ? "expired" : ""}>
                {stamp(tk.ExpireTime)}
                {expired(tk) ? ` (${t("tokens.expired")})` : ""}
              </span>
            ),
          },
        ]}
        actions={(tk) => (
          <>
            <button type="button" onClick={() => setEditing(tk)} aria-label={t("tokens.editNamed", { name: tk.TokenName })}>
              {t("common.edit")}
            </button>
            <button type="button" class="danger" onClick={() => setDeleting(tk)} aria-label={t("tokens.deleteNamed", { name: tk.TokenName })}>
              {t("common.delete")}
            </button>
          </>
        )}
      />
      {created && (
        <Dialog title={t("tokens.createdTitle")} onClose={() => setCreated(null)}>
          <div class="dialog-body">
            <Notice kind="warn">{t("tokens.onceWarning")}</Notice>
            <dl class="props">
              <dt>{t("signin.publicKey")}</dt>
              <dd>
                <code class="mono" data-testid="token-public">
                  {created.PublicKey}
                </code>{" "}
                <CopyButton text={created.PublicKey} />
              </dd>
              <dt>{t("signin.privateKey")}</dt>
              <dd>
                <code class="mono" data-testid="token-private">
                  {created.PrivateKey}
                </code>{" "}
                <CopyButton text={created.PrivateKey} />
              </dd>
            </dl>
          </div>
          <div class="actions">
            <button type="button" class="primary" onClick={() => setCreated(null)}>
              {t("tokens.savedIt")}
            </button>
          </div>
        </Dialog>
      )}
      {editing && (
        <Dialog title={t("tokens.editTitle", { name: editing.TokenName })} onClose={() => setEditing(null)} wide>
          <ScopeForm
            idPrefix="edit"
            scope={scopeOf(editing)}
            buckets={buckets}
            submit={t("common.save")}
            onSubmit={(s) => {
              const id = editing.TokenId;
              void act(() => control(ctx.session, "UpdateUFileToken", { TokenId: id, ...scopeParams(s) }), t("tokens.updated", { name: s.name })).then(
                (ok) => ok && setEditing(null),
              );
            }}
          />
        </Dialog>
      )}
      {deleting && (
        <Confirm
          title={t("tokens.deleteTitle", { name: deleting.TokenName })}
          message={<p>{t("tokens.deleteMessage")}</p>}
          action={t("common.delete")}
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            const tk = deleting;
            setDeleting(null);
            void act(() => control(ctx.session, "DeleteUFileToken", { TokenId: tk.TokenId }), t("tokens.deleted", { name: tk.TokenName }));
          }}
        />
      )}
    </section>
  );
}
