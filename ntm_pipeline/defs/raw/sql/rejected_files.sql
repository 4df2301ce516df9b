-- The files of the run's quarters that could not be read, kept from an earlier run or read now.
SELECT source_file, error FROM raw.source_file
WHERE period IN (SELECT unnest($periods)) AND status = 'rejected'
ORDER BY period, source_file;
