-- The web intake, after a check: whether the uploaded file's header says `Báo cáo điều chỉnh`
-- = x, and whether another file of the same drop (the commune's earlier filings of the quarter)
-- takes precedence over it, by staging.submission's own ranking (a correction replaces; the
-- latest by Ngày lập wins).
SELECT bool_or(s.is_correction) AS is_correction, bool_or(s.is_superseded) AS is_superseded
FROM staging.submission AS s
WHERE s.source_file = 'submissions/' || s.period || '/' || $name
HAVING count(*) > 0
