-- Default price table (region `*` applies to every region without a row of its own).
-- 0.6 分 per GB·day of storage, 40 分 per GB of download, 13 分 per 万次 (10⁴) requests:
-- StorageVolume 200 + DownloadTraffic 5 + RequestCount 2 → 120 + 200 + 26 = 346 分, spec 000 §17's example.
INSERT INTO `prices` (`region`, `storage_fen_per_gb_day`, `traffic_fen_per_gb`, `requests_fen_per_10k`) VALUES ('*', 0.6, 40, 13);
