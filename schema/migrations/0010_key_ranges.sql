CREATE TABLE `bucket_ranges` (
	`bucket_id` text NOT NULL,
	`start_key` text NOT NULL,
	`shard` text NOT NULL,
	`move_to` text,
	`copy_after` text,
	`drain_shard` text,
	`drain_after` integer,
	PRIMARY KEY(`bucket_id`, `start_key`)
);
--> statement-breakpoint
CREATE TABLE `range_fences` (
	`bucket_id` text NOT NULL,
	`start_key` text NOT NULL,
	`end_key` text,
	PRIMARY KEY(`bucket_id`, `start_key`)
);
