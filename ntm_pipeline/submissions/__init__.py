"""Reading and writing submission files in the documented format."""
