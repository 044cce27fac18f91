ALTER TABLE `buckets` ADD `object_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-added backfill: buckets that existed before this column get their real object count.
UPDATE `buckets` SET `object_count` = (SELECT COUNT(*) FROM `objects` WHERE `objects`.`bucket_id` = `buckets`.`id`);
