ALTER TABLE `buckets` ADD `default_encryption` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `object_ownership` text DEFAULT '' NOT NULL;