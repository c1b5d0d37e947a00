"""Well's admin: the finance team's workplace."""

from reconciliation.admin import models  # noqa: F401 - registers the model admins
