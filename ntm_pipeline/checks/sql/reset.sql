-- A check's connection holds only the files it checks: the layers are emptied before each.
DROP SCHEMA IF EXISTS quarantine CASCADE;
DROP SCHEMA IF EXISTS staging CASCADE;
DROP SCHEMA IF EXISTS raw CASCADE;
CREATE SCHEMA raw;
CREATE SCHEMA staging;
CREATE SCHEMA quarantine;
