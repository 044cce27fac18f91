ALTER TABLE `usage_daily` ADD `ia_get_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `restore_bytes` integer DEFAULT 0 NOT NULL;