"""Dates as the admin writes them: "6 Dec 2026" and "6 Dec 2026, 12:29 CET" — 24-hour local
time (TIME_ZONE) with its zone, since Qonto's and the banks' times are in UTC."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i"
