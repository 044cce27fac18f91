ALTER TABLE `blobs` ADD `home_shard` text;--> statement-breakpoint
ALTER TABLE `buckets` ADD `shard` text DEFAULT 'DB' NOT NULL;