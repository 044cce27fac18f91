ALTER TABLE `objects` ADD `s3_etag` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `objects` ADD `http_headers` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `uploads` ADD `http_headers` text DEFAULT '{}' NOT NULL;