/**
 * Every S3 request body in XML is read by one helper (src/s3/xml.ts `readXmlDocument`): bounded, and
 * one answer, 400 MalformedXML, to a body that does not parse, has another root, or is too large,
 * whichever operation reads it; each operation keeps its own codes for what the document says.
 */
import { CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./client";
import { s3BucketName, s3Client, s3Path, signV4 } from "./s3-helpers";

const s3 = s3Client();
const bucket = s3BucketName("xmlb");
let uploadId = "";

const send = (method: string, path: string, body: string, headers: Record<string, string> = {}) => request(signV4({ method, path, body, headers }));

describe("S3 XML request bodies", () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
    uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp" }))).UploadId!;
  });

  const readers = () =>
    [
      ["CreateBucket", "PUT", () => s3Path(s3BucketName("xmlc")), "CreateBucketConfiguration"],
      ["CompleteMultipartUpload", "POST", () => `${s3Path(bucket, "mp")}?uploadId=${uploadId}`, "CompleteMultipartUpload"],
      ["DeleteObjects", "POST", () => `${s3Path(bucket)}?delete`, "Delete"],
      ["PutBucketAcl", "PUT", () => `${s3Path(bucket)}?acl`, "AccessControlPolicy"],
      ["PutObjectTagging", "PUT", () => `${s3Path(bucket, "k")}?tagging`, "Tagging"],
    ] as const;

  it("answer MalformedXML to a body that does not parse, has another root, or is too large", async () => {
    for (const [op, method, path, root] of readers()) {
      for (const [why, body] of [
        ["unclosed", `<${root}><Oops>`],
        ["another root", "<Something/>"],
        ["a DOCTYPE", `<!DOCTYPE x [<!ENTITY a "b">]><${root}/>`],
      ] as const) {
        const res = await send(method, path(), body);
        expect(res.status, `${op}: ${why}`).toBe(400);
        expect(res.text(), `${op}: ${why}`).toContain("<Code>MalformedXML</Code>");
      }
    }
    // Over the bound (64 KiB for these three): refused unread. (The larger bounds, 2 and 4 MiB, are
    // left out: wrangler dev's proxy may drop an answer sent before a body of megabytes is read.)
    for (const [op, method, path, root] of readers().filter(([op]) => ["CreateBucket", "PutBucketAcl", "PutObjectTagging"].includes(op))) {
      const res = await send(method, path(), `<${root}>${" ".repeat(100 * 1024)}</${root}>`);
      expect(res.status, `${op}: too large`).toBe(400);
      expect(res.text(), `${op}: too large`).toMatch(/<Code>MalformedXML<\/Code><Message>the \w+ body is larger than 65536 bytes/);
    }
    // Nothing was changed by the refused bodies: the object, its tags and the upload are as they were.
    const tags = await send("GET", `${s3Path(bucket, "k")}?tagging`, "");
    expect(tags.status).toBe(200);
    expect(tags.text()).not.toContain("<Tag>");
    expect((await send("GET", `${s3Path(bucket, "mp")}?uploadId=${uploadId}`, "")).status).toBe(200);
  });

  it("keep each operation's own codes for the document's content, and take no body where none is needed", async () => {
    expect((await send("PUT", s3Path(s3BucketName("xmle")), "")).status).toBe(200);
    const both = await send("PUT", `${s3Path(bucket)}?acl`, "<AccessControlPolicy/>", { "x-amz-acl": "private" });
    expect(both.text()).toContain("<Code>InvalidRequest</Code>");
    const noParts = await send("POST", `${s3Path(bucket, "mp")}?uploadId=${uploadId}`, "<CompleteMultipartUpload/>");
    expect(noParts.text()).toContain("<Code>MalformedXML</Code>");
    const badTag = await send("PUT", `${s3Path(bucket, "k")}?tagging`, "<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>");
    expect(badTag.text()).toContain("<Code>InvalidTag</Code>");
    const badMd5 = await send("POST", `${s3Path(bucket)}?delete`, "<Delete><Object><Key>k</Key></Object></Delete>", { "Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA==" });
    expect(badMd5.text()).toContain("<Code>BadDigest</Code>");
    expect((await send("GET", s3Path(bucket, "k"), "")).status).toBe(200);
  });

  it("check Content-MD5 on every configuration PUT: a malformed one is 400 InvalidDigest, another digest 400 BadDigest, and nothing changes", async () => {
    const md5 = (body: string) => createHash("md5").update(body).digest("base64");
    const configs: [string, string, string][] = [
      ["cors", "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>", "NoSuchCORSConfiguration"],
      ["lifecycle", "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>x/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>", "NoSuchLifecycleConfiguration"],
      ["tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>", "NoSuchTagSet"],
      ["encryption", "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>", "ServerSideEncryptionConfigurationNotFoundError"],
      ["ownershipControls", "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>", "OwnershipControlsNotFoundError"],
    ];
    const target = s3BucketName("xmlmd5");
    await s3.send(new CreateBucketCommand({ Bucket: target }));
    for (const [sub, body, missing] of configs) {
      const path = `${s3Path(target)}?${sub}`;
      for (const [digest, code] of [["AAAAAAAAAAAAAAAAAAAAAA==", "BadDigest"], ["not-base64", "InvalidDigest"], ["", "InvalidDigest"]]) {
        const res = await send("PUT", path, body, { "Content-MD5": digest });
        expect(res.status, `${sub} ${code}`).toBe(400);
        expect(res.text(), `${sub} ${code}`).toContain(`<Code>${code}</Code>`);
        expect((await send("GET", path, "")).text(), `${sub} unchanged`).toContain(`<Code>${missing}</Code>`);
      }
      expect((await send("PUT", path, body, { "Content-MD5": md5(body) })).status, `${sub} with the right digest`).toBeLessThan(300);
      expect((await send("GET", path, "")).status, `${sub} stored`).toBe(200);
    }
    // The ACL, an object's tags and CreateBucket's configuration go through the same check.
    const acl = "<AccessControlPolicy/>";
    expect((await send("PUT", `${s3Path(bucket)}?acl`, acl, { "Content-MD5": md5("other") })).text()).toContain("<Code>BadDigest</Code>");
    expect((await send("PUT", `${s3Path(bucket, "k")}?tagging`, configs[2]![1], { "Content-MD5": md5("other") })).text()).toContain("<Code>BadDigest</Code>");
    expect((await send("GET", `${s3Path(bucket, "k")}?tagging`, "")).text()).not.toContain("<Tag>");
    const created = s3BucketName("xmlmd5c");
    const location = "<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>";
    expect((await send("PUT", s3Path(created), location, { "Content-MD5": md5("other") })).text()).toContain("<Code>BadDigest</Code>");
    expect((await send("HEAD", s3Path(created), "")).status).toBe(404);
  });
});
