"""Well's admin: the finance team's workplace. Importing the modules registers their pages."""

from reconciliation.admin import audit  # noqa: F401
from reconciliation.admin import banking  # noqa: F401
from reconciliation.admin import documents  # noqa: F401
from reconciliation.admin import matches  # noqa: F401
from reconciliation.admin import vendors  # noqa: F401
from reconciliation.admin import workspaces  # noqa: F401
