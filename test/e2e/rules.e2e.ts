import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { control, file, newBucket, putFile, server, PRIVATE_KEY, PUBLIC_KEY } from "../wire/client";
import { launch, seeAttribute, seeText, watchErrors } from "./browser";

/**
 * The console's rule screen (issue 22): lifecycle rules, the referer rule, CORS rules and the
 * bucket's daily usage, managed the way a user would, with refusals explained, and each change
 * checked through the public API.
 */
let browser: Browser;
let page: Page;
let errors: string[];
let bucket: string;

beforeAll(async () => {
  bucket = await newBucket("public");
  await putFile(bucket, "pic.png", "bytes");
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  errors = watchErrors(page);
  await page.goto(`http://console.localhost:${server().port}/ui/`);
  await page.getByLabel("Public key").fill(PUBLIC_KEY);
  await page.getByLabel("Private key").fill(PRIVATE_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Buckets", level: 1 }).waitFor();
});

afterAll(async () => {
  await browser?.close();
});

describe("console: bucket rules", () => {
  it("opens a bucket's rules from the bucket list", async () => {
    await page.getByRole("link", { name: `Rules and daily usage of ${bucket}` }).click();
    await page.getByRole("heading", { name: `Rules of ${bucket}`, level: 1 }).waitFor();
    // No rules yet: the table's empty state names the first step.
    await seeText(page.getByRole("table", { name: "Lifecycle rules" }).getByTestId("empty-state"), "No lifecycle rules.Add one below:");
    // The daily usage table has one row per day.
    const days = page.getByRole("table", { name: "Daily usage, last 14 days" }).locator("tbody tr");
    await days.nth(13).waitFor();
    expect(await days.count()).toBe(14);
    // Storage by class (STANDARD, IA, archive) and downloads in human sizes, counts as counts.
    for (const name of ["Standard (day average)", "IA (day average)", "Archive (day average)", "Downloaded"]) {
      await page.getByRole("columnheader", { name }).waitFor();
    }
    const cells = await days.nth(0).locator("td").allTextContents();
    expect(cells.slice(0, 3)).toEqual(cells.slice(0, 3).map((c) => c.match(/^\d+(\.\d)? (B|KB|MB|GB|TB)$/)?.[0]));
    expect(cells[3]).toMatch(/^[\d,]+$/);
    // A head sorts the table: newest day first on a second click.
    const dayHead = page.getByRole("table", { name: "Daily usage, last 14 days" }).getByRole("columnheader", { name: "Day (UTC)" });
    const firstDay = await days.nth(0).locator("th").textContent();
    await dayHead.getByRole("button").click();
    await seeAttribute(dayHead, "aria-sort", "ascending");
    await dayHead.getByRole("button").click();
    await seeAttribute(dayHead, "aria-sort", "descending");
    expect(await days.nth(13).locator("th").textContent()).toBe(firstDay);
  });

  it("adds, disables and deletes a lifecycle rule; an out-of-range day count is explained", async () => {
    await page.getByLabel("Prefix (* = the whole bucket)").fill("logs/");
    await page.getByLabel("Delete after (days)").fill("3");
    await page.getByRole("button", { name: "Add rule" }).click();
    await seeText(page.getByRole("alert"), "15018");
    await page.getByLabel("Delete after (days)").fill("30");
    await page.getByLabel("IA after (days)").fill("7");
    await page.getByRole("button", { name: "Add rule" }).click();
    await seeText(page.getByRole("status"), "Lifecycle rule for logs/ added.");
    const { body } = await control({ Action: "DescribeUFileLifeCycle", BucketName: bucket });
    expect(body.DateSet).toMatchObject([{ Prefix: "logs/", Status: "Enabled", Days: 30, IADays: 7 }]);
    await page.getByRole("button", { name: "Enable or disable the rule for logs/" }).click();
    await seeText(page.getByRole("status"), "Lifecycle rule for logs/ changed.");
    expect((await control({ Action: "DescribeUFileLifeCycle", BucketName: bucket })).body.DateSet[0].Status).toBe("Disabled");
    await page.getByRole("button", { name: "Delete the rule for logs/" }).click();
    await seeText(page.getByRole("status"), "Lifecycle rule for logs/ deleted.");
    expect((await control({ Action: "DescribeUFileLifeCycle", BucketName: bucket })).body.DateSet).toEqual([]);
  });

  it("sets the referer rule, which then refuses a foreign Referer; a bad expression is explained", async () => {
    await page.getByLabel("Referers (one regular expression per line)").fill("(unclosed");
    await page.getByRole("button", { name: "Save referer rule" }).click();
    await seeText(page.getByRole("alert"), "15017");
    await page.getByLabel("Referers (one regular expression per line)").fill("^https://shop\\.example/");
    await page.getByLabel("Allow requests without a Referer").uncheck();
    await page.getByRole("button", { name: "Save referer rule" }).click();
    await seeText(page.getByRole("status"), "Referer rule saved.");
    expect((await file(bucket, "pic.png", { auth: "none", headers: { Referer: "https://evil.example/" } })).status).toBe(403);
    expect((await file(bucket, "pic.png", { auth: "none", headers: { Referer: "https://shop.example/a" } })).status).toBe(200);
    await page.getByRole("button", { name: "Remove referer rule" }).click();
    await seeText(page.getByRole("status"), "Referer rule removed.");
    expect((await file(bucket, "pic.png", { auth: "none", headers: { Referer: "https://evil.example/" } })).status).toBe(200);
  });

  it("saves CORS rules (JSON), read back by DescribeBucket", async () => {
    await page.getByLabel("Rules (JSON array)").fill('[{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET"]}]');
    await page.getByRole("button", { name: "Save CORS rules" }).click();
    await seeText(page.getByRole("status"), "CORS rules saved.");
    const { body } = await control({ Action: "DescribeBucket", BucketName: bucket });
    expect(body.DataSet[0].CORSRules).toMatchObject([{ AllowedOrigins: ["https://app.example"], AllowedMethods: ["GET"] }]);
    await page.getByLabel("Rules (JSON array)").fill("");
    await page.getByRole("button", { name: "Save CORS rules" }).click();
    await seeText(page.getByRole("status"), "CORS rules saved.");
    expect((await control({ Action: "DescribeBucket", BucketName: bucket })).body.DataSet[0].CORSRules).toEqual([]);
    expect(errors).toEqual([]);
  });
});
