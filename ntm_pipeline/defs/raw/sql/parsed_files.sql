-- The files of the run's quarters read, kept from an earlier run or read now.
SELECT count(*) FROM raw.source_file WHERE period IN (SELECT unnest($periods)) AND status = 'parsed';
