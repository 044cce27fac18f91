ALTER TABLE `buckets` ADD `tags` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `objects` ADD `checksum` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `objects` ADD `parts` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `objects` ADD `ssec_key_md5` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `upload_parts` ADD `checksum` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `uploads` ADD `checksum` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `uploads` ADD `ssec_key_md5` text DEFAULT '' NOT NULL;