"""The quarterly NTM report of a district or province, written from the warehouse."""
