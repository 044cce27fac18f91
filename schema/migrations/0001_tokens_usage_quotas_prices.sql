CREATE TABLE `prices` (
	`region` text PRIMARY KEY NOT NULL,
	`storage_fen_per_gb_day` real NOT NULL,
	`traffic_fen_per_gb` real NOT NULL,
	`requests_fen_per_10k` real NOT NULL
);
--> statement-breakpoint
CREATE TABLE `quotas` (
	`project_id` text NOT NULL,
	`region` text NOT NULL,
	`storage_granted` real DEFAULT 0 NOT NULL,
	`traffic_granted` real DEFAULT 0 NOT NULL,
	`requests_granted` real DEFAULT 0 NOT NULL,
	`owe` integer DEFAULT 0 NOT NULL,
	`modified_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `region`)
);
--> statement-breakpoint
CREATE TABLE `storage_integration` (
	`bucket_id` text PRIMARY KEY NOT NULL,
	`integrated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`region` text NOT NULL,
	`name` text NOT NULL,
	`private_key_enc` text NOT NULL,
	`allowed_ops` text NOT NULL,
	`allowed_prefixes` text NOT NULL,
	`allowed_buckets` text NOT NULL,
	`black_ip_list` text DEFAULT '[]' NOT NULL,
	`white_ip_list` text DEFAULT '[]' NOT NULL,
	`expire_time` integer NOT NULL,
	`created_at` integer NOT NULL,
	`modified_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tokens_project_idx` ON `tokens` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `usage_daily` (
	`project_id` text NOT NULL,
	`region` text NOT NULL,
	`bucket_id` text NOT NULL,
	`day` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`download_bytes` integer DEFAULT 0 NOT NULL,
	`storage_byte_seconds` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `region`, `bucket_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `usage_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`processed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `usage_messages_processed_idx` ON `usage_messages` (`processed_at`);