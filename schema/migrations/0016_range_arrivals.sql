CREATE TABLE `range_arrivals` (
	`bucket_id` text NOT NULL,
	`move_id` text NOT NULL,
	`state` text NOT NULL,
	PRIMARY KEY(`bucket_id`, `move_id`)
);
--> statement-breakpoint
ALTER TABLE `bucket_ranges` ADD `move_id` text;