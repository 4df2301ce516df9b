-- SQLite, in the vietnamadminunits package's dataset: the units from 1 July 2025 (34 provinces).
SELECT * FROM admin_units
