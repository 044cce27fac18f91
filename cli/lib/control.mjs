// @ts-check
// Control-plane client: signed `?Action=…` calls (GET with a query string, as the UFile SDKs send them).
import { CliError, EXIT, controlError } from "./errors.mjs";
import { readJson, request } from "./net.mjs";
import { controlSignature } from "../../src/signing.mjs";
import { requireKeys } from "./config.mjs";

export class Control {
  /** @param {import("./config.mjs").Settings} settings */
  constructor(settings) {
    this.settings = settings;
  }

  /**
   * Signs and sends one call. Region and ProjectId come from the profile unless given.
   * @param {Record<string, string | number>} params Action plus its parameters (lists as Name.0, Name.1, …)
   * @param {{ raw?: boolean }} [opts] raw: return an error answer instead of throwing
   * @returns {Promise<any>} the answer's JSON body
   */
  async call(params, opts = {}) {
    requireKeys(this.settings);
    /** @type {Record<string, string>} */
    const p = {};
    for (const [k, v] of Object.entries(params)) p[k] = String(v);
    if (this.settings.region && p.Region === undefined) p.Region = this.settings.region;
    if (this.settings.projectId && p.ProjectId === undefined) p.ProjectId = this.settings.projectId;
    p.PublicKey = this.settings.publicKey;
    p.Signature = await controlSignature(Object.entries(p), this.settings.privateKey);
    const url = `${this.settings.url}/?${new URLSearchParams(p)}`;
    const res = await request({ method: "GET", url });
    const body = await readJson(res.stream);
    if (!body || typeof body.RetCode !== "number") {
      throw new CliError(`${this.settings.url} did not answer like a UFile control plane (HTTP ${res.status}); check EDGEFILE_URL`, EXIT.failed);
    }
    if (body.RetCode !== 0 && !opts.raw) throw controlError(body, p.Action, p.BucketName);
    return body;
  }

  /** Every bucket of the project, following Offset/Limit pages. */
  async buckets() {
    const all = [];
    for (let offset = 0; ; offset += 100) {
      const page = (await this.call({ Action: "DescribeBucket", Offset: offset, Limit: 100 })).DataSet ?? [];
      all.push(...page);
      if (page.length < 100) return all;
    }
  }
}
