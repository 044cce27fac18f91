import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ParamValue } from "../src/control/params";
import { control, uniqueName } from "./helpers";

/** Quota and price actions (spec 000 §16-17, §19; docs/protocol.md §3.5; UCloud BuyUFileQuota). */

type Keys = { publicKey: string; privateKey: string };

async function act(params: Record<string, ParamValue>, keys?: Keys) {
  const { res, body } = await control(params, keys);
  expect(res.status).toBe(200);
  expect(body.Action).toBe(`${params.Action}Response`);
  return body;
}

/** The documented defaults (docs/metering.md "Quotas"): GB·day, GB, 万次. */
const DEFAULTS = { storage: 30_000, traffic: 1_000, requests: 10_000 };

describe("GetUFileQuotaPrice", () => {
  const price = (p: Record<string, ParamValue>) => act({ Action: "GetUFileQuotaPrice", Region: "cn-inspur2", ...p });

  it("answers the spec's example exactly: 200 GB·day + 5 GB + 2 万次 = 346 分", async () => {
    const body = await price({ StorageVolume: 200, DownloadTraffic: 5, RequestCount: 2 });
    expect(body.RetCode).toBe(0);
    expect(body.Price).toBe(346);
  });

  it("prices each component with the default row", async () => {
    expect((await price({})).Price).toBe(0);
    expect((await price({ StorageVolume: 100 })).Price).toBe(60);
    expect((await price({ DownloadTraffic: 1 })).Price).toBe(40);
    expect((await price({ RequestCount: 1 })).Price).toBe(13);
    // Upper bounds are accepted: 30 000 000 × 0.6 + 60 000 × 40 + 1 000 000 × 13.
    expect((await price({ StorageVolume: 30_000_000, DownloadTraffic: 60_000, RequestCount: 1_000_000 })).Price).toBe(
      18_000_000 + 2_400_000 + 13_000_000,
    );
  });

  it.each([
    ["StorageVolume", "0", 0],
    ["StorageVolume", "100", 0],
    ["StorageVolume", "150", 15017],
    ["StorageVolume", "30000000", 0],
    ["StorageVolume", "30000100", 15018],
    ["StorageVolume", "-100", 15018],
    ["StorageVolume", "100.5", 15017],
    ["StorageVolume", "abc", 15017],
    ["DownloadTraffic", "0", 0],
    ["DownloadTraffic", "60000", 0],
    ["DownloadTraffic", "60001", 15018],
    ["DownloadTraffic", "-1", 15018],
    ["DownloadTraffic", "2.5", 15017],
    ["RequestCount", "0", 0],
    ["RequestCount", "1000000", 0],
    ["RequestCount", "1000001", 15018],
    ["RequestCount", "-1", 15018],
    ["RequestCount", "1e3", 15017],
  ])("%s=%s → RetCode %i", async (name, value, code) => {
    expect((await price({ [name]: value })).RetCode).toBe(code);
  });

  it("uses the region's own row over the default row, rounding up to a whole 分", async () => {
    const region = uniqueName("price-region");
    await env.DB.prepare("INSERT INTO prices (region, storage_fen_per_gb_day, traffic_fen_per_gb, requests_fen_per_10k) VALUES (?, 0.333, 0.1, 0.7)")
      .bind(region)
      .run();
    // 100 × 0.333 = 33.3 → 34; 3 × 0.1 = 0.3 (0.30000000000000004 in floats) and 10 × 0.7 = 7 → 0.3 + 7 = 7.3 → 8.
    expect((await act({ Action: "GetUFileQuotaPrice", Region: region, StorageVolume: 100 })).Price).toBe(34);
    expect((await act({ Action: "GetUFileQuotaPrice", Region: region, DownloadTraffic: 3, RequestCount: 10 })).Price).toBe(8);
    expect((await act({ Action: "GetUFileQuotaPrice", Region: region, DownloadTraffic: 10 })).Price).toBe(1);
  });
});

describe("GetUFileQuota / GetUFileQuotaInfo on a fresh project", () => {
  it("answers the configured defaults", async () => {
    const ProjectId = uniqueName("org");
    const left = async (QuotaType: string) => (await act({ Action: "GetUFileQuota", ProjectId, QuotaType })).LeftQuota;
    expect(await left("storage-volume")).toBe(DEFAULTS.storage);
    expect(await left("download-traffic")).toBe(DEFAULTS.traffic);
    expect(await left("request-count")).toBe(DEFAULTS.requests);
  });

  it("answers Info with objects, one item for the request's region", async () => {
    const body = await act({
      Action: "GetUFileQuotaInfo",
      ProjectId: uniqueName("org"),
      Region: "cn-gd",
      "QuotaType.0": "storage-volume",
      "QuotaType.1": "download-traffic",
      "QuotaType.2": "request-count",
    });
    expect(body.RetCode).toBe(0);
    expect(body.DataSet).toEqual([
      {
        Region: "cn-gd",
        Owe: 0,
        Storage: { Left: DEFAULTS.storage },
        DownloadFlow: { Left: DEFAULTS.traffic },
        RequestCnt: { Left: DEFAULTS.requests },
      },
    ]);
  });

  it("validates QuotaType", async () => {
    expect((await act({ Action: "GetUFileQuota" })).RetCode).toBe(15002);
    expect((await act({ Action: "GetUFileQuota", QuotaType: "" })).RetCode).toBe(15002);
    expect((await act({ Action: "GetUFileQuota", QuotaType: "disk" })).RetCode).toBe(15017);
    expect((await act({ Action: "GetUFileQuotaInfo" })).RetCode).toBe(15002);
    expect((await act({ Action: "GetUFileQuotaInfo", "QuotaType.0": "storage-volume", "QuotaType.1": "disk" })).RetCode).toBe(
      15017,
    );
  });
});

describe("BuyUFileQuota", () => {
  it("adds to the grant of the project's region only", async () => {
    const ProjectId = uniqueName("org");
    const buy = await act({ Action: "BuyUFileQuota", ProjectId, Region: "cn-sh2", QuotaType: "storage-volume", Quota: 300 });
    expect(buy.RetCode).toBe(0);
    expect(buy.OrderNumber).toMatch(/^\d{19}$/);
    await act({ Action: "BuyUFileQuota", ProjectId, Region: "cn-sh2", QuotaType: "request-count", Quota: 5 });
    await act({ Action: "BuyUFileQuota", ProjectId, Region: "cn-sh2", QuotaType: "storage-volume", Quota: 100 });
    const info = await act({ Action: "GetUFileQuotaInfo", ProjectId, Region: "cn-sh2", "QuotaType.0": "storage-volume" });
    expect(info.DataSet).toEqual([
      {
        Region: "cn-sh2",
        Owe: 0,
        Storage: { Left: DEFAULTS.storage + 400 },
        DownloadFlow: { Left: DEFAULTS.traffic },
        RequestCnt: { Left: DEFAULTS.requests + 5 },
      },
    ]);
    const elsewhere = await act({ Action: "GetUFileQuota", ProjectId, Region: "cn-bj", QuotaType: "storage-volume" });
    expect(elsewhere.LeftQuota).toBe(DEFAULTS.storage);
  });

  it.each([
    [{}, 15002],
    [{ QuotaType: "storage-volume" }, 15002],
    [{ QuotaType: "disk", Quota: 100 }, 15017],
    [{ QuotaType: "storage-volume", Quota: 150 }, 15017],
    [{ QuotaType: "storage-volume", Quota: 0 }, 15018],
    [{ QuotaType: "storage-volume", Quota: 30_000_100 }, 15018],
    [{ QuotaType: "download-traffic", Quota: 0 }, 15018],
    [{ QuotaType: "download-traffic", Quota: 102_401 }, 15018],
    [{ QuotaType: "request-count", Quota: 1_000_001 }, 15018],
    [{ QuotaType: "request-count", Quota: "1.5" }, 15017],
  ] as [Record<string, ParamValue>, number][])("refuses %j with %i, granting nothing", async (params, code) => {
    const ProjectId = uniqueName("org");
    expect((await act({ Action: "BuyUFileQuota", ProjectId, ...params })).RetCode).toBe(code);
    const row = await env.DB.prepare("SELECT 1 FROM quotas WHERE project_id = ?").bind(ProjectId).first();
    expect(row).toBeNull();
  });

  it("refuses token keys with 15037 (root keys only)", async () => {
    const ProjectId = uniqueName("org");
    const token = await act({ Action: "CreateUFileToken", ProjectId, TokenName: "buyer", "AllowedOps.0": "TOKEN_ALLOW_WRITE" });
    expect(token.RetCode).toBe(0);
    const keys = { publicKey: token.UFileTokenSet.PublicKey, privateKey: token.UFileTokenSet.PrivateKey };
    const body = await act({ Action: "BuyUFileQuota", ProjectId, QuotaType: "download-traffic", Quota: 10 }, keys);
    expect(body.RetCode).toBe(15037);
    expect((await act({ Action: "GetUFileQuota", ProjectId, QuotaType: "download-traffic" })).LeftQuota).toBe(DEFAULTS.traffic);
  });
});
