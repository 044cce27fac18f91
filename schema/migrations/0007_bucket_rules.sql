ALTER TABLE `buckets` ADD `lifecycle_rules` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `referer_rule` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `cors_rules` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `lifecycle_after` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `lifecycle_pass_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `lifecycle_deletes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `lifecycle_transitions` integer DEFAULT 0 NOT NULL;