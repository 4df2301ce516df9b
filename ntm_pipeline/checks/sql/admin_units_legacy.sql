-- SQLite, in the vietnamadminunits package's dataset: the GSO units before the 2025 reform.
SELECT * FROM admin_units_legacy
