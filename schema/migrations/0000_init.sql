CREATE TABLE `blobs` (
	`id` text PRIMARY KEY NOT NULL,
	`bucket_id` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`refcount` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `blobs_refcount_idx` ON `blobs` (`refcount`);--> statement-breakpoint
CREATE TABLE `buckets` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`project_id` text NOT NULL,
	`region` text NOT NULL,
	`type` text NOT NULL,
	`biz` text DEFAULT 'general' NOT NULL,
	`tag` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`modified_at` integer NOT NULL,
	`stored_bytes` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `buckets_name_unique` ON `buckets` (`name`);--> statement-breakpoint
CREATE INDEX `buckets_project_idx` ON `buckets` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `objects` (
	`bucket_id` text NOT NULL,
	`key` text NOT NULL,
	`blob_id` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`mime` text NOT NULL,
	`storage_class` text NOT NULL,
	`user_meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`modified_at` integer NOT NULL,
	`restore_ready_at` integer,
	`restore_expires_at` integer,
	PRIMARY KEY(`bucket_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `objects_hash_idx` ON `objects` (`bucket_id`,`etag`,`size`);--> statement-breakpoint
CREATE INDEX `objects_blob_idx` ON `objects` (`blob_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `upload_parts` (
	`upload_id` text NOT NULL,
	`part_number` integer NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`r2_etag` text NOT NULL,
	`block_sha1s` text NOT NULL,
	`mime` text DEFAULT '' NOT NULL,
	`modified_at` integer NOT NULL,
	PRIMARY KEY(`upload_id`, `part_number`)
);
--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`bucket_id` text NOT NULL,
	`key` text NOT NULL,
	`blob_id` text NOT NULL,
	`r2_upload_id` text NOT NULL,
	`blk_size` integer NOT NULL,
	`mime` text NOT NULL,
	`storage_class` text NOT NULL,
	`user_meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`touched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `uploads_bucket_key_idx` ON `uploads` (`bucket_id`,`key`);--> statement-breakpoint
CREATE INDEX `uploads_touched_idx` ON `uploads` (`touched_at`);