CREATE TABLE `admin_signatures` (
	`signature` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `admin_signatures_expires_idx` ON `admin_signatures` (`expires_at`);--> statement-breakpoint
ALTER TABLE `bucket_ranges` ADD `cancelled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `range_fences` ADD `moved_to` text;