import { useState } from "preact/hooks";
import { ApiFailure, BucketClient, control } from "../lib/api";
import { explain } from "../lib/explain";
import { useT } from "../lib/i18n";
import { importSigningKey } from "../lib/keystore";
import { defaultFileHost, fileHostFromDomain, isTokenKey, parsePlace, type Session } from "../lib/session";
import { ErrorBox } from "../ui/widgets";

interface BucketSet {
  BucketName: string;
  Domain: { Src: string[] };
}

/**
 * Sign-in with the root pair or a token pair. The keys are checked with one signed call and then
 * kept in this browser only (see lib/session.ts). A token cannot call the control plane (15037),
 * so its keys are checked on the data plane, in the buckets the user names.
 */
export function SignIn(props: { onSignedIn: (s: Session) => void | Promise<void> }) {
  const { t } = useT();
  const [publicKey, setPublicKey] = useState("");
  const [privateKey, setPrivateKey] = useState("");
  const [places, setPlaces] = useState("");
  const [fileHost, setFileHost] = useState(defaultFileHost);
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const token = isTokenKey(publicKey.trim());

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const keys = { publicKey: publicKey.trim(), privateKey: privateKey.trim(), signingKey: await importSigningKey(privateKey.trim()) };
    const session: Session = { kind: token ? "token" : "root", keys, fileHost: fileHost.trim() || defaultFileHost(), places: [], remember };
    try {
      if (!token) {
        const found = await control<{ DataSet: BucketSet[] }>(session, "DescribeBucket", { Limit: 1 });
        const b = found.DataSet[0];
        if (b?.Domain.Src[0]) session.fileHost = fileHostFromDomain(b.BucketName, b.Domain.Src[0]);
      } else {
        session.places = places.split(/[\s,]+/).filter(Boolean);
        if (session.places.length === 0) throw new Error(t("signin.needPlace"));
        // A token signature is verified before the control plane refuses it: 15037 = a valid token pair.
        try {
          await control(session, "DescribeBucket", { Limit: 1 });
        } catch (err) {
          if (!(err instanceof ApiFailure && err.code === 15037)) throw err;
        }
        // And the first bucket answers on the data plane (a scope refusal still proves the keys).
        const { bucket, prefix } = parsePlace(session.places[0]);
        try {
          await new BucketClient(session, bucket).list(prefix, "", 1);
        } catch (err) {
          if (!(err instanceof ApiFailure && err.code === -90008)) throw err;
        }
      }
      await props.onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiFailure ? explain(t, err) : String(err instanceof Error ? err.message : err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>{t("app.name")}</h1>
      <p class="lead">{t("signin.lead")}</p>
      <form onSubmit={submit} class="card">
        <h2>{t("signin.title")}</h2>
        <label for="pub">{t("signin.publicKey")}</label>
        <input id="pub" name="publicKey" autocomplete="username" required value={publicKey} onInput={(e) => setPublicKey(e.currentTarget.value)} />
        <p class="hint">{token ? t("signin.tokenDetected") : t("signin.keyHint")}</p>
        <label for="priv">{t("signin.privateKey")}</label>
        <input id="priv" name="privateKey" type="password" autocomplete="current-password" required value={privateKey} onInput={(e) => setPrivateKey(e.currentTarget.value)} />
        {token && (
          <>
            <label for="places">{t("signin.places")}</label>
            <input id="places" name="places" required value={places} placeholder="demo, photos/2024/" onInput={(e) => setPlaces(e.currentTarget.value)} />
            <p class="hint">{t("signin.placesHint")}</p>
          </>
        )}
        <details>
          <summary>{t("signin.advanced")}</summary>
          <label for="filehost">{t("signin.fileHost")}</label>
          <input id="filehost" name="fileHost" value={fileHost} onInput={(e) => setFileHost(e.currentTarget.value)} />
          <p class="hint">{t("signin.fileHostHint")}</p>
        </details>
        <div class="check">
          <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          <label for="remember">{t("signin.remember")}</label>
        </div>
        <p class="hint">{remember ? t("signin.rememberOn") : t("signin.rememberOff")}</p>
        <ErrorBox message={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("signin.checking") : t("signin.submit")}
        </button>
      </form>
    </main>
  );
}
