ALTER TABLE `buckets` ADD `ia_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `buckets` ADD `archive_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `ia_byte_seconds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_daily` ADD `archive_byte_seconds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-added backfill: existing buckets (and shard anchors) get their bytes by class, objects and open uploads' parts.
UPDATE `buckets` SET
  `ia_bytes` = (SELECT COALESCE(SUM(`size`), 0) FROM `objects` WHERE `objects`.`bucket_id` = `buckets`.`id` AND `storage_class` = 'IA')
    + (SELECT COALESCE(SUM(p.`size`), 0) FROM `upload_parts` p JOIN `uploads` u ON u.`id` = p.`upload_id` WHERE u.`bucket_id` = `buckets`.`id` AND u.`storage_class` = 'IA'),
  `archive_bytes` = (SELECT COALESCE(SUM(`size`), 0) FROM `objects` WHERE `objects`.`bucket_id` = `buckets`.`id` AND `storage_class` IN ('ARCHIVE', 'COLD'))
    + (SELECT COALESCE(SUM(p.`size`), 0) FROM `upload_parts` p JOIN `uploads` u ON u.`id` = p.`upload_id` WHERE u.`bucket_id` = `buckets`.`id` AND u.`storage_class` IN ('ARCHIVE', 'COLD'));
