"""Well's date formats (FORMAT_MODULE_PATH): one way to write a date and a date-time across
the admin, the review screen included."""
