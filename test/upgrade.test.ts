import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { API, authorization, callWithEnv, fileUrl, signControl, toQuery, uniqueName } from "./helpers";

/**
 * Upgrade in place (docs/deploy.md "Index shards"): a deployment from before index shards has one
 * database holding everything. It upgrades with the migrations and configuration only: its database
 * becomes the first shard (`DB`), every existing bucket is placed there (`shard` defaults to `DB`),
 * no object moves, and every object reads as before. New buckets may then go to the other shards.
 */

/** The last migration of the schema before index shards. */
const BEFORE_SHARDS = "0005_s3_front.sql";

const OBJECTS = 40;

/** Every fifth seeded object is IA, the rest STANDARD. */
const classOf = (i: number) => (i % 5 === 1 ? "IA" : "STANDARD");

async function seedOldSchema(db: D1Database, bucketId: string, bucketName: string, now: number): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  const statements: D1PreparedStatement[] = [
    db.prepare("INSERT INTO projects (id, created_at) VALUES ('org-edgefile', ?) ON CONFLICT DO NOTHING").bind(now),
    db
      .prepare(
        "INSERT INTO buckets (id, name, project_id, region, type, created_at, modified_at, stored_bytes, object_count) VALUES (?, ?, 'org-edgefile', 'cn-bj', 'private', ?, ?, 0, 0)",
      )
      .bind(bucketId, bucketName, now, now),
  ];
  let total = 0;
  for (let i = 0; i < OBJECTS; i++) {
    const key = `dir${i % 4}/object-${i}.txt`;
    const body = `object ${i} of the single-database deployment`;
    const blobId = crypto.randomUUID();
    await env.BLOBS.put(`blobs/${blobId}`, body);
    bodies.set(key, body);
    total += body.length;
    statements.push(
      db.prepare("INSERT INTO blobs (id, bucket_id, size, etag, refcount, created_at) VALUES (?, ?, ?, ?, 1, ?)").bind(blobId, bucketId, body.length, `etag-${i}`, now),
      db
        .prepare(
          "INSERT INTO objects (bucket_id, key, blob_id, size, etag, s3_etag, mime, storage_class, user_meta, http_headers, created_at, modified_at) VALUES (?, ?, ?, ?, ?, '', 'text/plain', ?, '{}', '{}', ?, ?)",
        )
        .bind(bucketId, key, blobId, body.length, `etag-${i}`, classOf(i), now, now),
    );
  }
  statements.push(db.prepare("UPDATE buckets SET stored_bytes = ?, object_count = ? WHERE id = ?").bind(total, OBJECTS, bucketId));
  await db.batch(statements);
  return bodies;
}

describe("upgrade in place from a single database", () => {
  it("the old database becomes the first shard: every object reads, the counters hold, writes and new buckets work", async () => {
    const db = env.UPGRADE;
    const before = env.TEST_MIGRATIONS.filter((m) => m.name <= BEFORE_SHARDS);
    expect(before.length).toBeLessThan(env.TEST_MIGRATIONS.length);
    await applyD1Migrations(db, before);
    expect(await db.prepare("SELECT 1 FROM pragma_table_info('buckets') WHERE name = 'shard'").first()).toBeNull();

    const now = Math.floor(Date.now() / 1000);
    const bucketName = uniqueName("old");
    const bucketId = "oss-" + Math.random().toString(36).slice(2, 8).padEnd(6, "0");
    const bodies = await seedOldSchema(db, bucketId, bucketName, now);

    // The upgrade: the migrations, applied to the old database (and to each new shard, as test/setup.ts did).
    await applyD1Migrations(db, env.TEST_MIGRATIONS);
    expect(await db.prepare("SELECT shard FROM buckets WHERE id = ?").bind(bucketId).first("shard")).toBe("DB");
    // The bytes by class are backfilled from the rows (migration 0008).
    const iaBytes = [...bodies.values()].reduce((n, b, i) => n + (classOf(i) === "IA" ? b.length : 0), 0);
    expect(iaBytes).toBeGreaterThan(0);
    expect(await db.prepare("SELECT ia_bytes, archive_bytes FROM buckets WHERE id = ?").bind(bucketId).first()).toEqual({ ia_bytes: iaBytes, archive_bytes: 0 });

    const upgraded = { DB: db };
    for (const [key, body] of bodies) {
      const res = await callWithEnv(upgraded, fileUrl(bucketName, key), { headers: { Authorization: await authorization("GET", bucketName, key) } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
    }
    const list = await callWithEnv(upgraded, fileUrl(bucketName, "", "list&prefix=dir1/&limit=100"), {
      headers: { Authorization: await authorization("GET", bucketName, "") },
    });
    expect(((await list.json()) as { DataSet: unknown[] }).DataSet).toHaveLength(OBJECTS / 4);

    const controlCall = async (params: Record<string, string>) =>
      (await (await callWithEnv(upgraded, `${API}/?${toQuery(await signControl(params))}`)).json()) as Record<string, any>;
    const described = await controlCall({ Action: "DescribeBucket", BucketName: bucketName });
    expect(described.DataSet[0]).toMatchObject({ ObjectCount: OBJECTS, StoredBytes: [...bodies.values()].reduce((n, b) => n + b.length, 0) });

    // Writes to the upgraded bucket stay on the old database.
    const put = await callWithEnv(upgraded, fileUrl(bucketName, "after-upgrade.txt"), {
      method: "PUT",
      body: "new",
      headers: { "Content-Type": "text/plain", Authorization: await authorization("PUT", bucketName, "after-upgrade.txt", { contentType: "text/plain" }) },
    });
    expect(put.status).toBe(200);
    expect(await db.prepare("SELECT object_count FROM buckets WHERE id = ?").bind(bucketId).first("object_count")).toBe(OBJECTS + 1);

    // New buckets go to the least-filled shard: not the old database, which holds every old object.
    const placed = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const BucketName = uniqueName("new");
      expect((await controlCall({ Action: "CreateBucket", BucketName })).RetCode).toBe(0);
      placed.add(String(await db.prepare("SELECT shard FROM buckets WHERE name = ?").bind(BucketName).first("shard")));
    }
    expect(placed.size).toBe(1);
    expect([...placed][0]).toMatch(/^INDEX_/);
  });
});
